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
    void respacedBetasAndPosteriorVarianceMatchAHandComputation() {
        // parent betas 0.1, 0.2, 0.3, 0.4: abar = 0.9, 0.72, 0.504, 0.3024; keep t = 1 and 3 (improved-diffusion's
        // respace.py: beta'_i = 1 - abar_{t_i} / abar_{t_{i-1}}, then GaussianDiffusion's posterior variance from beta')
        NoiseSchedule parent = new NoiseSchedule(new double[] {0.1, 0.2, 0.3, 0.4}) {};
        RespacedSchedule r = new RespacedSchedule(parent, new int[] {1, 3});
        assertEquals(0.28, r.beta(0), 1e-15); // 1 - 0.72 / 1
        assertEquals(0.58, r.beta(1), 1e-15); // 1 - 0.3024 / 0.72 = 1 - 0.42
        assertEquals(0.3024, r.alphaBar(1), 1e-15);
        assertEquals(0, r.posteriorVariance(0), 0); // beta~_0 = beta'_0 (1 - 1) / (1 - abar_0)
        assertEquals(0.58 * 0.28 / 0.6976, r.posteriorVariance(1), 1e-15); // = 0.1624 / 0.6976
        assertEquals(0.23279816513761467, r.posteriorVariance(1), 1e-15);
        // posterior mean coefficients from beta': beta' sqrt(abar_prev) / (1 - abar) and (1 - abar_prev) sqrt(1 - beta') / (1 - abar)
        assertEquals(0.58 * Math.sqrt(0.72) / 0.6976, r.posteriorMeanCoefX0(1), 1e-15);
        assertEquals(0.28 * Math.sqrt(0.42) / 0.6976, r.posteriorMeanCoefXt(1), 1e-15);
        // the last step of a sampler lands on x0: coefficient 1 of x0, 0 of x_t
        assertEquals(1, r.posteriorMeanCoefX0(0), 0);
        assertEquals(0, r.posteriorMeanCoefXt(0), 0);
    }

    @Test
    void fractionalTimesInterpolateLogAlphaBar() {
        NoiseSchedule parent = new CosineSchedule(1000);
        RespacedSchedule r = new RespacedSchedule(parent, new double[] {0, 10.5, 400.25, 999});
        assertEquals(parent.alphaBar(0), r.alphaBar(0), 0);
        assertEquals(Math.sqrt(parent.alphaBar(10) * parent.alphaBar(11)), r.alphaBar(1), 1e-15);
        assertEquals(Math.exp(0.75 * Math.log(parent.alphaBar(400)) + 0.25 * Math.log(parent.alphaBar(401))), r.alphaBar(2), 1e-15);
        assertEquals(parent.alphaBar(999), r.alphaBar(3), 0);
        assertArrayEquals(new double[] {0, 10.5, 400.25, 999},
                new double[] {r.modelTimestep(0), r.modelTimestep(1), r.modelTimestep(2), r.modelTimestep(3)});
        assertEquals(1 - r.alphaBar(2) / r.alphaBar(1), r.beta(2), 1e-15);
    }

    @Test
    void respacingARespacedScheduleComposesTimesteps() {
        NoiseSchedule parent = new CosineSchedule(1000);
        RespacedSchedule once = new RespacedSchedule(parent, new int[] {10, 200, 400, 600, 999});
        RespacedSchedule twice = new RespacedSchedule(once, new int[] {1, 3, 4});
        assertArrayEquals(new double[] {200, 600, 999}, new double[] {twice.modelTimestep(0), twice.modelTimestep(1), twice.modelTimestep(2)});
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
