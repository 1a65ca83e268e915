package org.atdiff.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class RespacedScheduleTest {
    @Test
    void alphaBarAtEachIndexIsTheParentsAtTheKeptTimestep() {
        for (String name : new String[] {"linear", "cosine"}) {
            NoiseSchedule parent = NoiseSchedule.named(name, 1000);
            int[] kept = {0, 3, 99, 100, 500, 998, 999};
            RespacedSchedule r = new RespacedSchedule(parent, kept);
            assertEquals(kept.length, r.timesteps());
            for (int i = 0; i < kept.length; i++) {
                assertEquals(parent.alphaBar(kept[i]), r.alphaBar(i), 0, name + " " + i);
                assertEquals(i == 0 ? 1.0 : parent.alphaBar(kept[i - 1]), r.alphaBarPrev(i), 0);
                assertEquals(parent.sqrtAlphaBar(kept[i]), r.sqrtAlphaBar(i), 0);
                assertEquals(parent.logSnr(kept[i]), r.logSnr(i), 0);
                assertEquals(kept[i], r.modelTimestep(i));
                assertTrue(r.beta(i) > 0 && r.beta(i) <= 1);
            }
        }
    }

    @Test
    void keepingEveryTimestepGivesTheParentBack() {
        NoiseSchedule parent = new LinearSchedule(50);
        int[] all = new int[50];
        for (int i = 0; i < 50; i++) all[i] = i;
        RespacedSchedule r = new RespacedSchedule(parent, all);
        for (int i = 0; i < 50; i++) {
            assertEquals(parent.beta(i), r.beta(i), 1e-15);
            assertEquals(parent.posteriorVariance(i), r.posteriorVariance(i), 1e-12 * parent.posteriorVariance(i));
        }
    }

    @Test
    void respacingARespacedScheduleComposesTimesteps() {
        NoiseSchedule parent = new CosineSchedule(1000);
        RespacedSchedule once = new RespacedSchedule(parent, new int[] {10, 200, 400, 600, 999});
        RespacedSchedule twice = new RespacedSchedule(once, new int[] {1, 3, 4});
        assertArrayEquals(new float[] {200, 600, 999}, new float[] {twice.modelTimestep(0), twice.modelTimestep(1), twice.modelTimestep(2)});
        assertEquals(parent.alphaBar(600), twice.alphaBar(1), 0);
    }

    @Test
    void badKeptTimestepsAreRejectedWithTheArray() {
        NoiseSchedule parent = new LinearSchedule(100);
        for (int[] bad : new int[][] {{5, 3}, {3, 3}, {-1, 4}, {4, 100}, {}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RespacedSchedule(parent, bad));
            assertTrue(e.getMessage().contains("kept timesteps"), e.getMessage());
        }
    }

    @Test
    void givenAlphaBarsMustAgreeWithTheBetas() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NoiseSchedule(new double[] {0.1, 0.2}, new double[] {0.9, 0.5}) {});
        assertTrue(e.getMessage().contains("abar[1]"), e.getMessage());
        NoiseSchedule ok = new NoiseSchedule(new double[] {0.1, 0.2}, new double[] {0.9, 0.72}) {};
        assertEquals(0.72, ok.alphaBar(1), 0);
    }
}
