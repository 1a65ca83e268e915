package org.atdiff.nn;

import static org.junit.jupiter.api.Assertions.*;

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
    void badJsonAndBadScheduleAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.fromJson("{\"unet\":{}}"));
        assertThrows(IllegalArgumentException.class, () -> new ModelSpec(UNetConfig.preset("tiny", 8, 1), "cosin", 10));
    }
}
