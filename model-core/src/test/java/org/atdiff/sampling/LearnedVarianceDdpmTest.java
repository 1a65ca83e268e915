package org.atdiff.sampling;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.SingleThreadedTorch;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.RespacedSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ddpm sampler's ancestral step with a learned variance, on data x0 ~ N(M, S^2) per pixel, against the closed
 * form: on the respaced chain x_{t_i} the reverse conditional q(x_{t_{i-1}} | x_{t_i}) is Gaussian with the
 * posterior mean at E[x0 | x_{t_i}] and the variance V_{i-1} beta'_i / V_i, V_i = abar_{t_i} S^2 + 1 - abar_{t_i}
 * (Gaussian conditioning; the optimal variance of Bao et al. 2022, Analytic-DPM). A model whose v makes the learned
 * variance exactly that (v interpolates between the respaced beta'_i and beta~'_i, as improved-diffusion's respaced
 * sampler reads it) samples the data's law at any number of steps, where the fixed variance beta~ loses a large part
 * of the variance at 10 steps. The spacing keeps t = 0 (linspace, as the authors respace ddpm), so that the last
 * step, which returns the mean x0 without noise, loses nothing (Var(x0 | x_0) = 1e-4 S^2).
 */
@ExtendWith(SingleThreadedTorch.class)
class LearnedVarianceDdpmTest {
    private static final double M = SamplerMomentsTest.M, S = SamplerMomentsTest.S;
    private static final int ROWS = 2048, BATCH = 512, PIXELS = 64;
    private static final long[] IMAGE = {1, 8, 8};

    /** The exact eps of the Gaussian data, and v set so that the respaced chain's learned variance is the optimal one. */
    static final class OptimalVarianceModel implements Denoiser {
        private final GaussianDataDenoiser eps;
        private final RespacedSchedule levels;
        private final Double constantV;

        OptimalVarianceModel(NoiseSchedule schedule, RespacedSchedule levels, Double constantV) {
            this.eps = new GaussianDataDenoiser(schedule, M, S);
            this.levels = levels;
            this.constantV = constantV;
        }

        private double marginalVariance(int i) {
            double abar = i < 0 ? 1.0 : levels.alphaBar(i);
            return abar * S * S + 1 - abar;
        }

        @Override
        public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
            return eps.predictNoise(x, t, labels);
        }

        @Override
        public DenoiserOutput predict(Tensor x, Tensor t, Tensor labels) {
            float[] ts = HostTensors.toFloats(t);
            double[] kept = levels.keptTimesteps();
            double[] v = new double[ts.length];
            for (int b = 0; b < v.length; b++) {
                int i = java.util.Arrays.binarySearch(kept, ts[b]);
                if (i == 0 || constantV != null) {
                    v[b] = constantV != null ? constantV : 0; // index 0 draws no noise
                    continue;
                }
                double optimal = Math.log(marginalVariance(i - 1) * levels.beta(i) / marginalVariance(i));
                double lo = levels.posteriorLogVarianceClipped(i), hi = Math.log(levels.beta(i));
                v[b] = 2 * (optimal - lo) / (hi - lo) - 1;
            }
            return new DenoiserOutput(predictNoise(x, t, labels),
                    torch.zeros_like(x).add(HostTensors.fromFloats(toFloats(v), v.length, 1, 1, 1)));
        }

        private static float[] toFloats(double[] d) {
            float[] f = new float[d.length];
            for (int k = 0; k < d.length; k++) f[k] = (float) d[k];
            return f;
        }
    }

    /** mean and std of ROWS images sampled by ddpm with {@code model}. */
    private static double[] moments(Denoiser model, NoiseSchedule schedule, int nfe) {
        Sampler ddpm = new DdpmSampler(TimestepSpacing.LINSPACE);
        double sum = 0, sumSq = 0;
        for (int first = 0; first < ROWS; first += BATCH) {
            try (PointerScope scope = new PointerScope()) {
                BatchNoise noise = BatchNoise.forSamples(21, first, BATCH);
                float[] x0 = HostTensors.toFloats(ddpm.sample(model, schedule, nfe, noise.normal(IMAGE), null, noise));
                for (float x : x0) {
                    sum += x;
                    sumSq += (double) x * x;
                }
            }
        }
        int n = ROWS * PIXELS;
        double mean = sum / n;
        return new double[] {mean, Math.sqrt(sumSq / n - mean * mean)};
    }

    @ParameterizedTest(name = "{0} nfe={1}")
    @CsvSource({"linear, 10", "linear, 50", "cosine, 10", "cosine, 50"})
    void theOptimalLearnedVarianceSamplesTheDatasLawAtFewSteps(String scheduleName, int nfe) {
        NoiseSchedule schedule = NoiseSchedule.named(scheduleName, 1000);
        RespacedSchedule levels = TimestepSpacing.LINSPACE.respace(schedule, nfe);
        double[] learned = moments(new OptimalVarianceModel(schedule, levels, null), schedule, nfe);
        double[] fixed = moments(new GaussianDataDenoiser(schedule, M, S), schedule, nfe);
        int n = ROWS * PIXELS;
        System.out.printf("%s nfe %d: learned variance mean %.4f std %.4f; fixed beta~ std %.4f (data %.2f, %.2f)%n",
                scheduleName, nfe, learned[0], learned[1], fixed[1], M, S);
        // 5 standard errors of n iid values; plus x_T ~ N(0, 1) instead of q(x_T) and clipping, both below 1e-3 S
        assertEquals(M, learned[0], 5 * S / Math.sqrt(n) + 1e-3 * S, "mean");
        assertEquals(S, learned[1], 5 * S / Math.sqrt(2.0 * n) + 1e-3 * S, "std");
        if (nfe == 10) assertTrue(fixed[1] < 0.9 * S, "the fixed variance beta~ loses variance at 10 steps: " + fixed[1]);
    }

    @Test
    void vOfMinusOneIsTheFixedSmallVarianceStep() {
        NoiseSchedule schedule = NoiseSchedule.named("linear", 1000);
        RespacedSchedule levels = TimestepSpacing.LINSPACE.respace(schedule, 10);
        try (PointerScope scope = new PointerScope()) {
            Sampler ddpm = new DdpmSampler(TimestepSpacing.LINSPACE);
            BatchNoise a = BatchNoise.forSamples(3, 0, 4), b = BatchNoise.forSamples(3, 0, 4);
            float[] learned = HostTensors.toFloats(ddpm.sample(new OptimalVarianceModel(schedule, levels, -1.0), schedule,
                    10, a.normal(IMAGE), null, a));
            float[] fixed = HostTensors.toFloats(ddpm.sample(new GaussianDataDenoiser(schedule, M, S), schedule, 10,
                    b.normal(IMAGE), null, b));
            assertArrayEquals(fixed, learned, 1e-5f);
            // and epsilon scaling keeps the variance output
            DenoiserOutput out = new EpsilonScaling(new OptimalVarianceModel(schedule, levels, 0.5), 2.0).predict(
                    a.normal(IMAGE), HostTensors.fromFloats(new float[] {999, 999, 999, 999}, 4), null);
            assertEquals(0.5, out.v().mean().item_double(), 1e-7);
        }
    }
}
