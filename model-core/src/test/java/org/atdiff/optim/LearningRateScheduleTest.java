package org.atdiff.optim;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    @Test
    void warmsUpLinearlyThenStaysConstant() {
        LearningRateSchedule s = new LearningRateSchedule(2e-4, 4);
        assertEquals(0.5e-4, s.at(0), 1e-18);
        assertEquals(1.0e-4, s.at(1), 1e-18);
        assertEquals(1.5e-4, s.at(2), 1e-18);
        assertEquals(2e-4, s.at(3), 1e-18);
        assertEquals(2e-4, s.at(1_000_000), 0.0);
        assertEquals(2e-4, new LearningRateSchedule(2e-4, 0).at(0), 0.0);
    }

    @Test
    void rejectsBadSettingsByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(0, 1)).getMessage().contains("lr"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1e-4, -1)).getMessage().contains("warmup-steps"));
    }
}
