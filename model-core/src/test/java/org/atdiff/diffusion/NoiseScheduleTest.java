package org.atdiff.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class NoiseScheduleTest {
    @Test
    void linearScheduleMatchesDdpmEndpointsAndProduct() {
        NoiseSchedule s = new LinearSchedule(1000);
        assertEquals(1e-4, s.beta(0), 1e-15);
        assertEquals(0.02, s.beta(999), 1e-15);
        double prod = 1;
        for (int i = 0; i <= 500; i++) prod *= 1 - s.beta(i);
        assertEquals(prod, s.alphaBar(500), 1e-14);
        // closed form of the product's log for a linear schedule, to first order in beta: small check
        assertTrue(s.alphaBar(999) < 1e-4 && s.alphaBar(999) > 1e-6);
    }

    @Test
    void cosineScheduleMatchesClosedFormAlphaBar() {
        int T = 1000;
        NoiseSchedule s = new CosineSchedule(T);
        for (int i : new int[] {0, 10, 250, 500, 900}) {
            double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
            double ft = Math.pow(Math.cos(((i + 1.0) / T + 0.008) / 1.008 * Math.PI / 2), 2);
            assertEquals(ft / f0, s.alphaBar(i), 1e-12, "abar at " + i);
        }
        assertEquals(0.999, s.beta(T - 1), 1e-12);
    }

    @Test
    void derivedQuantitiesAgreeWithDefinitions() {
        NoiseSchedule s = new CosineSchedule(100);
        for (int i = 1; i < 100; i++) {
            double ab = s.alphaBar(i);
            assertEquals(Math.log(ab / (1 - ab)), s.logSnr(i), 1e-9);
            assertEquals(s.alphaBar(i - 1), s.alphaBarPrev(i), 0);
            // posterior mean of x_t itself when x0 = x_t / sqrt(abar) with eps = 0 is consistent with q(x_{t-1}|x0)
            double x0 = 0.7, xt = Math.sqrt(ab) * x0;
            double mean = s.posteriorMeanCoefX0(i) * x0 + s.posteriorMeanCoefXt(i) * xt;
            assertEquals(Math.sqrt(s.alphaBarPrev(i)) * x0, mean, 1e-12);
        }
        assertTrue(s.logSnr(0) > s.logSnr(50) && s.logSnr(50) > s.logSnr(99));
    }

    @Test
    void fractionalTimestepsInterpolateLogAlphaBarAndInvertTheLogSnr() {
        for (String name : new String[] {"linear", "cosine"}) {
            NoiseSchedule s = NoiseSchedule.named(name, 1000);
            assertEquals(s.alphaBar(37), s.alphaBarAt(37), 0);
            assertEquals(s.alphaBar(999), s.alphaBarAt(999), 0);
            double w = 0.3; // log abar linear in t between integer timesteps (DPM-Solver's discrete NoiseScheduleVP)
            assertEquals(Math.pow(s.alphaBar(500), 1 - w) * Math.pow(s.alphaBar(501), w), s.alphaBarAt(500.3), 1e-15);
            assertEquals(500.3, s.modelTimestepAt(500.3), 1e-12);
            for (double t : new double[] {0, 0.25, 1, 17.5, 500.3, 998.9, 999}) {
                double lambda = Math.log(s.alphaBarAt(t)) - Math.log1p(-s.alphaBarAt(t));
                assertEquals(t, s.timestepAtLogSnr(lambda), 1e-9, name + " t=" + t);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.timestepAtLogSnr(s.logSnr(0) + 1));
            assertTrue(e.getMessage().contains("log-SNR"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> s.alphaBarAt(999.5));
            assertTrue(e.getMessage().contains("999.5"), e.getMessage());
        }
    }

    @Test
    void unknownNameIsRejectedWithTheName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.named("cosin", 10));
        assertTrue(e.getMessage().contains("cosin"));
    }
}
