package org.atdiff.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.nn.UNetConfig;
import org.junit.jupiter.api.Test;

class ModelSpecTest {
    @Test
    void jsonRoundTrip() {
        ModelSpec s = new ModelSpec(UNetConfig.preset("small", 28, 1).withNumClasses(10), "cosine", 1000);
        ModelSpec back = ModelSpec.fromJson(s.toJson());
        assertEquals(s, back);
        assertEquals(1000, back.noiseSchedule().timesteps());
    }

    @Test
    void theSpecRecordsALearnedVarianceAndOlderSpecsReadAsEpsilonOnly() {
        ModelSpec learned = new ModelSpec(UNetConfig.preset("tiny", 8, 3).withLearnSigma(true), "linear", 100);
        ModelSpec back = ModelSpec.fromJson(learned.toJson());
        assertTrue(back.unet().learnSigma());
        assertEquals(6, back.unet().outChannels());
        assertEquals(learned, back);
        String old = learned.toJson().replace(",\"learn_sigma\":true", "");
        assertFalse(old.contains("learn_sigma"));
        assertFalse(ModelSpec.fromJson(old).unet().learnSigma());
        assertEquals(3, ModelSpec.fromJson(old).unet().outChannels());
    }

    @Test
    void theSpecRecordsTheLayoutAndOlderSpecsReadAsImprovedDiffusions() {
        ModelSpec adm = new ModelSpec(UNetConfig.preset("cifar10-adm", 32, 3), "cosine", 1000);
        ModelSpec back = ModelSpec.fromJson(adm.toJson());
        assertEquals(adm, back);
        assertTrue(back.unet().resblockUpdown());
        assertEquals(UNetConfig.AttentionOrder.QKV_FIRST, back.unet().attentionOrder());
        String old = adm.toJson().replace(",\"resblock_updown\":true", "").replace(",\"attention_order\":\"qkv-first\"", "");
        assertFalse(old.contains("resblock_updown") || old.contains("attention_order"), old);
        UNetConfig read = ModelSpec.fromJson(old).unet();
        assertFalse(read.resblockUpdown());
        assertEquals(UNetConfig.AttentionOrder.HEADS_FIRST, read.attentionOrder());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.fromJson(adm.toJson().replace("qkv-first", "qkv-last")));
        assertTrue(e.getMessage().contains("model.attention-order") && e.getMessage().contains("qkv-last"), e.getMessage());
    }

    @Test
    void presetsNameTheScheduleTheyWereTrainedWith() {
        assertEquals("cosine", ModelSpec.presetSchedule("cifar10-adm"));
        assertEquals("cosine", ModelSpec.presetSchedule("cifar10-iddpm"));
        assertEquals("linear", ModelSpec.presetSchedule("tiny"));
        assertEquals("linear", ModelSpec.presetSchedule("small"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.presetSchedule("huge"));
        assertTrue(e.getMessage().contains("huge"), e.getMessage());
    }

    @Test
    void badJsonAndBadScheduleAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.fromJson("{\"unet\":{}}"));
        assertThrows(IllegalArgumentException.class, () -> new ModelSpec(UNetConfig.preset("tiny", 8, 1), "cosin", 10));
    }
}
