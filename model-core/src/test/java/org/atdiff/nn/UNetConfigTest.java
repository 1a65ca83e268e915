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
        // the authors' scripts/cifar_adv_train.sh flags (guided-diffusion): resblock_updown, use_new_attention_order,
        // learn_sigma (6 output channels for RGB)
        assertTrue(adm.resblockUpdown());
        assertEquals(UNetConfig.AttentionOrder.QKV_FIRST, adm.attentionOrder());
        assertTrue(adm.learnSigma());
        assertEquals(6, adm.outChannels());
        // improved-diffusion's README CIFAR-10 flags: 4 heads over 256 channels, learn_sigma, its own layout
        UNetConfig iddpm = UNetConfig.preset("cifar10-iddpm", 32, 3);
        assertEquals(new UNetConfig("cifar10-iddpm", 3, 32, 128, new int[] {1, 2, 2, 2}, 3, new int[] {16, 8}, 64, 0.3,
                0, true), iddpm);
        assertEquals(64, iddpm.headChannels());
        assertFalse(iddpm.resblockUpdown());
        assertEquals(UNetConfig.AttentionOrder.HEADS_FIRST, iddpm.attentionOrder());
        assertTrue(iddpm.learnSigma());
        for (String small : new String[] {"tiny", "small"}) {
            UNetConfig c = UNetConfig.preset(small, 32, 3);
            assertFalse(c.resblockUpdown() || c.learnSigma(), small);
            assertEquals(UNetConfig.AttentionOrder.HEADS_FIRST, c.attentionOrder(), small);
        }
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
        UNetConfig layout = small.withLayout(null, true, UNetConfig.AttentionOrder.QKV_FIRST);
        assertTrue(layout.resblockUpdown());
        assertEquals(UNetConfig.AttentionOrder.QKV_FIRST, layout.attentionOrder());
        assertNotEquals(small, layout);
        assertEquals(layout, layout.withOverrides(0, null, 0, null, 0, -1.0), "overrides keep the layout");
        assertEquals(layout, layout.withLayout(null, null, null), "null keeps each layout value");
        assertEquals(UNetConfig.AttentionOrder.QKV_FIRST, UNetConfig.AttentionOrder.named("qkv-first"));
        assertMessage("model.attention-order", () -> UNetConfig.AttentionOrder.named("new"));
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
        assertMessage("model.dropout", () -> tiny.withOverrides(0, null, 0, null, 0, 1.0));
        assertMessage("model.res-blocks", () -> tiny.withOverrides(0, null, -2, null, 0, -1));
        assertMessage("model.channel-mult", () -> tiny.withOverrides(0, new int[] {1, 0}, 0, null, 0, -1));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
