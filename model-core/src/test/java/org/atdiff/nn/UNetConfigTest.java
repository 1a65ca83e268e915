package org.atdiff.nn;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class UNetConfigTest {
    @Test
    void presetsHaveThePapersSettings() {
        UNetConfig adm = UNetConfig.preset("cifar10-adm", 32, 3);
        assertEquals(128, adm.baseChannels());
        assertArrayEquals(new int[] {1, 2, 2, 2}, adm.channelMult());
        assertEquals(3, adm.resBlocks());
        assertArrayEquals(new int[] {16, 8}, adm.attentionResolutions());
        assertEquals(32, adm.headChannels());
        assertEquals(0.3, adm.dropout());
        assertEquals(0, adm.numClasses());
        assertArrayEquals(new int[] {14}, UNetConfig.preset("tiny", 28, 1).attentionResolutions());
        assertArrayEquals(new int[] {7}, UNetConfig.preset("small", 28, 1).attentionResolutions());
    }

    @Test
    void unknownPresetNamesItAndListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNetConfig.preset("cifar-adm", 32, 3));
        assertTrue(e.getMessage().contains("cifar-adm"), e.getMessage());
        for (String name : UNetConfig.PRESETS) assertTrue(e.getMessage().contains(name), e.getMessage());
    }

    @Test
    void overridesReplaceOnlyTheFieldsThatAreSet() {
        UNetConfig small = UNetConfig.preset("small", 32, 3);
        assertEquals(small, small.withOverrides(0, new int[0], 0, new int[0], 0, -1.0));
        UNetConfig o = small.withOverrides(32, new int[] {1, 2}, 1, new int[] {16}, 16, 0.0);
        assertEquals(32, o.baseChannels());
        assertArrayEquals(new int[] {1, 2}, o.channelMult());
        assertEquals(1, o.resBlocks());
        assertArrayEquals(new int[] {16}, o.attentionResolutions());
        assertEquals(16, o.headChannels());
        assertEquals(0.0, o.dropout());
        assertEquals(3, o.inChannels());
        assertEquals(10, small.withNumClasses(10).numClasses());
    }

    @Test
    void unsupportedImageSizeIsRejectedWithTheRequiredDivisor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNetConfig.preset("cifar10-adm", 28, 3));
        assertTrue(e.getMessage().contains("28") && e.getMessage().contains("divisible by 8"), e.getMessage());
    }

    @Test
    void invalidFieldsAreRejectedByName() {
        UNetConfig tiny = UNetConfig.preset("tiny", 32, 3);
        assertMessage("GroupNorm over 48", () -> tiny.withOverrides(48, null, 0, null, 0, -1));
        assertMessage("model.head-channels = 24", () -> tiny.withOverrides(0, null, 0, null, 24, -1));
        assertMessage("attention-resolutions entry 4", () -> tiny.withOverrides(0, null, 0, new int[] {4}, 0, -1));
        assertMessage("model.dropout", () -> tiny.withDropout(1.0));
        assertMessage("model.res-blocks", () -> tiny.withOverrides(0, null, -2, null, 0, -1));
        assertMessage("model.channel-mult", () -> tiny.withOverrides(0, new int[] {1, 0}, 0, null, 0, -1));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
