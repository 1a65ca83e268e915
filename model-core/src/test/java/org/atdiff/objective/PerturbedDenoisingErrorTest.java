package org.atdiff.objective;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.atdiff.SingleThreadedTorch;
import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.objective.PerturbedDenoisingError.Attack;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.sampling.GaussianDataDenoiser;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Against closed forms: for data x0 ~ N(m, s^2 I) the exact denoiser is linear, eps*(x) = c (x - a m) with
 * a = sqrt(abar), b = sqrt(1 - abar), V = a^2 s^2 + b^2, c = b / V, so its error against the perturbed point's noise is
 * e(delta) = c a z + (c b - 1) eps + (c - 1/b) delta per pixel (z = x0 - m), giving E e(0) = a^2 s^2 / V, for a random
 * delta of norm r E[e(delta) - e(0)] = (c - 1/b)^2 r^2 / D, and for the gradient attack exactly
 * e(delta) = (sqrt(D e(0)) + |c - 1/b| r)^2 / D per sample (delta is parallel to the error vector). Free AT's direction
 * holds the target: J^T (eps* - eps) = c e_vec(0) points along the error vector too, but c - 1/b < 0, so it lowers the
 * error: e(delta) = (sqrt(D e(0)) - |c - 1/b| r)^2 / D.
 */
@ExtendWith(SingleThreadedTorch.class)
class PerturbedDenoisingErrorTest {
    private static final double MEAN = 0.3, STD = 0.5;
    private static final int C = 1, S = 8, D = C * S * S;
    private final NoiseSchedule schedule = new LinearSchedule(1000);
    private final GaussianDataDenoiser model = new GaussianDataDenoiser(schedule, MEAN, STD);

    private static Tensor gaussianData(long seed, int n) {
        return new RandomStream(seed).normal(n, C, S, S).mul(new org.bytedeco.pytorch.Scalar(STD))
                .add(new org.bytedeco.pytorch.Scalar(MEAN));
    }

    private double[] coefficients(int i) { // {E e(0), |c - 1/b|}
        double abar = schedule.alphaBar(i), b = Math.sqrt(1 - abar), v = abar * STD * STD + 1 - abar;
        return new double[] {abar * STD * STD / v, Math.abs(b / v - 1 / b)};
    }

    @Test
    void bothGradientsMoveEachSamplesErrorExactlyAlongItsErrorVectorInOppositeWays() {
        try (PointerScope scope = new PointerScope()) {
            int n = 16;
            int[] t = new int[n];
            for (int k = 0; k < n; k++) t[k] = new int[] {0, 3, 10, 40, 120, 500, 900, 999}[k % 8];
            double[] radii = {0, 0.01, 0.05, 0.1, 0.3};
            double[][][] e = PerturbedDenoisingError.perSample(model, schedule, gaussianData(1, n), null, t,
                    BatchNoise.forSamples(2, 0, n), List.of(Attack.GRADIENT, Attack.NETWORK_GRADIENT), radii);
            for (int k = 0; k < n; k++) {
                double slope = coefficients(t[k])[1], e0 = e[0][0][k];
                for (int r = 1; r < radii.length; r++) {
                    String at = "t = " + t[k] + ", r = " + radii[r];
                    double raised = Math.pow(Math.sqrt(D * e0) + slope * radii[r], 2) / D;
                    assertEquals(raised, e[0][r][k], 2e-3 * raised, "gradient of e: " + at);
                    double held = Math.pow(Math.sqrt(D * e0) - slope * radii[r], 2) / D; // free AT's direction
                    assertEquals(held, e[1][r][k], 2e-3 * raised, "network-gradient: " + at);
                }
                if (slope * radii[1] < Math.sqrt(D * e0)) {
                    assertTrue(e[1][1][k] < e0, "free AT's direction lowers the error at t = " + t[k]);
                }
            }
        }
    }

    @Test
    void cleanAndRandomErrorsMatchTheirExpectations() {
        try (PointerScope scope = new PointerScope()) {
            int n = 3000;
            double[] radii = {0, 0.2};
            for (int i : new int[] {2, 30, 300}) {
                int[] t = new int[n];
                java.util.Arrays.fill(t, i);
                double[][][] e = PerturbedDenoisingError.perSample(model, schedule, gaussianData(3 + i, n), null, t,
                        BatchNoise.forSamples(4 + i, 0, n), List.of(Attack.RANDOM, Attack.GRADIENT), radii);
                double[] coef = coefficients(i);
                assertMean(coef[0], e[0][0], "E e(0) at t = " + i);
                double[] increase = new double[n];
                for (int k = 0; k < n; k++) increase[k] = e[0][1][k] - e[0][0][k];
                assertMean(coef[1] * coef[1] * radii[1] * radii[1] / D, increase, "random increase at t = " + i);
                assertArrayEquals(e[0][0], e[1][0], "radius 0 is the same clean error for every attack");
                for (int k = 0; k < n; k++) {
                    assertTrue(e[1][1][k] >= e[0][1][k] * (1 - 1e-4), "the gradient direction is the worst at t = " + i);
                }
            }
        }
    }

    @Test
    void rejectsANegativeRadiusAndAMismatchedBatch() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = gaussianData(5, 2);
            var ex = assertThrows(IllegalArgumentException.class, () -> PerturbedDenoisingError.perSample(model, schedule,
                    x, null, new int[] {1, 2}, BatchNoise.forSamples(1, 0, 2), List.of(Attack.RANDOM), new double[] {-0.1}));
            assertTrue(ex.getMessage().contains("-0.1"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> PerturbedDenoisingError.perSample(model, schedule, x, null,
                    new int[] {1}, BatchNoise.forSamples(1, 0, 2), List.of(Attack.RANDOM), new double[] {0.1}));
            var named = assertThrows(IllegalArgumentException.class, () -> Attack.named("eps-mse.attacks", "fgsm"));
            assertTrue(named.getMessage().contains("eps-mse.attacks 'fgsm'"), named.getMessage());
        }
    }

    private static void assertMean(double expected, double[] values, String what) {
        double m = 0, ss = 0;
        for (double v : values) m += v;
        m /= values.length;
        for (double v : values) ss += (v - m) * (v - m);
        double se = Math.sqrt(ss / (values.length - 1) / values.length);
        assertEquals(expected, m, 4 * se + 1e-6 * Math.abs(expected), what + " (standard error " + se + ")");
    }
}
