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
    void badJsonAndBadScheduleAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.fromJson("{\"unet\":{}}"));
        assertThrows(IllegalArgumentException.class, () -> new ModelSpec(UNetConfig.preset("tiny", 8, 1), "cosin", 10));
    }
}
