package org.atdiff.sampling;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Samplers against the closed form: data x0 ~ N(M, S^2) per pixel, the exact optimal denoiser as the model.
 * Every step is then affine, so the output law of each sampler at each NFE is known exactly
 * ({@link GaussianSamplerLaw}); the samplers must reproduce it up to sampling error, and the law must converge to
 * N(M, S^2) as NFE grows. M = 0.2, S = 0.25 put the clip boundary 1 at 3.2 S above the mean (7e-4 of the mass is
 * clipped at most, which moves the std by less than 1e-4 relative), so x0 clipping does not bias the moments.
 *
 * <p>Measured discretisation error of the exact law (std / S - 1, T = 1000, trailing steps for DDPM/DDIM,
 * log-SNR steps for DPM-Solver++): linear NFE 10: ddpm -47%, ddim(0) -44%, dpm++ +2.3%; NFE 50: -18%, -11%, +0.2%;
 * cosine NFE 10: -31%, -25%, -2.1%; NFE 50: -11%, -5.4%, +0.5%. Few-step DDPM/DDIM lose variance on low-variance
 * data (the last step jumps across the noise level where x0 = E[x0 | x_t] starts to depend on x_t), so for them
 * the check is against the exact law, which is strict: a wrong coefficient, a variance off by a square root or a
 * swapped pair of coefficients moves the std by far more than the 1% the sample size resolves.
 */
class SamplerMomentsTest {
    static final double M = 0.2, S = 0.25;
    static final int ROWS = 2048, BATCH = 512;
    static final long[] IMAGE = {1, 8, 8};
    static final int PIXELS = 64;

    static Sampler sampler(String name) {
        return switch (name) {
            case "ddim1" -> new DdimSampler(1.0);
            default -> Samplers.named(name, 0.0);
        };
    }

    static GaussianSamplerLaw.Affine law(String name, NoiseSchedule sched, int nfe) {
        GaussianSamplerLaw law = new GaussianSamplerLaw(M, S);
        int[] trailing = TimestepSpacing.TRAILING.timesteps(sched, nfe);
        return switch (name) {
            case "ddpm" -> law.ddpm(sched, trailing);
            case "ddim" -> law.ddim(sched, trailing, 0);
            case "ddim1" -> law.ddim(sched, trailing, 1);
            case "dpm-solver++" -> law.dpmSolverPlusPlus2M(sched, TimestepSpacing.LOG_SNR.timesteps(sched, nfe));
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0} {1} nfe={2}")
    @CsvSource({
        "ddpm, linear, 10", "ddpm, linear, 50", "ddpm, cosine, 10", "ddpm, cosine, 50",
        "ddim, linear, 10", "ddim, linear, 50", "ddim, cosine, 10", "ddim, cosine, 50",
        "ddim1, linear, 10", "ddim1, linear, 50", "ddim1, cosine, 10", "ddim1, cosine, 50",
        "dpm-solver++, linear, 10", "dpm-solver++, linear, 50", "dpm-solver++, cosine, 10", "dpm-solver++, cosine, 50",
    })
    void samplerReproducesTheExactLawOfItsDiscretisation(String name, String scheduleName, int nfe) {
        NoiseSchedule sched = NoiseSchedule.named(scheduleName, 1000);
        GaussianSamplerLaw.Affine expected = law(name, sched, nfe);
        boolean deterministic = expected.noiseVar() == 0;
        Sampler sampler = sampler(name);
        GaussianDataDenoiser model = new GaussianDataDenoiser(sched, M, S);
        double sum = 0, sumSq = 0, worstPathError = 0;
        int n = ROWS * PIXELS;
        for (int first = 0; first < ROWS; first += BATCH) {
            try (PointerScope scope = new PointerScope()) {
                BatchNoise noise = BatchNoise.forSamples(11, first, BATCH);
                Tensor xT = noise.normal(IMAGE);
                float[] x0 = HostTensors.toFloats(sampler.sample(model, sched, nfe, xT, null, noise));
                float[] z = HostTensors.toFloats(xT);
                for (int j = 0; j < x0.length; j++) {
                    sum += x0[j];
                    sumSq += (double) x0[j] * x0[j];
                    double path = Math.max(-1, Math.min(1, expected.slope() * z[j] + expected.offset()));
                    worstPathError = Math.max(worstPathError, Math.abs(x0[j] - path));
                }
            }
        }
        double mean = sum / n, std = Math.sqrt(sumSq / n - mean * mean);
        // 5 standard errors of the sample mean and sample std of n iid Gaussian values, plus 1e-4 S for clipping
        assertEquals(expected.mean(), mean, 5 * expected.std() / Math.sqrt(n), "mean");
        assertEquals(expected.std(), std, 5 * expected.std() / Math.sqrt(2.0 * n) + 1e-4 * S, "std");
        if (deterministic) {
            // a deterministic sampler is the affine map itself, pixel by pixel, up to float32 rounding
            assertTrue(worstPathError < 2e-4, "largest deviation from slope * x_T + offset: " + worstPathError);
        }
    }

    @Test
    void exactLawsConvergeToTheDataAsStepsGrow() {
        for (String s : new String[] {"linear", "cosine"}) {
            NoiseSchedule sched = NoiseSchedule.named(s, 1000);
            for (String name : new String[] {"ddpm", "ddim", "ddim1", "dpm-solver++"}) {
                GaussianSamplerLaw.Affine full = law(name, sched, 1000);
                assertEquals(M, full.mean(), 1e-3, name + " " + s + " mean at NFE 1000");
                // DDPM with the fixed small variance beta~ stays 1.5% low even at NFE = T (linear)
                assertEquals(S, full.std(), 0.02 * S, name + " " + s + " std at NFE 1000");
            }
            GaussianSamplerLaw.Affine ten = law("dpm-solver++", sched, 10), fifty = law("dpm-solver++", sched, 50);
            assertEquals(M, ten.mean(), 1e-3, "dpm-solver++ mean at NFE 10");
            assertEquals(S, ten.std(), 0.03 * S, "dpm-solver++ std at NFE 10");
            assertEquals(S, fifty.std(), 0.01 * S, "dpm-solver++ std at NFE 50");
        }
    }

    @Test
    void ddimWithEtaOneHasTheLawOfDdpm() {
        // eq. 16 with eta = 1 gives sigma^2 = beta~, and the DDIM mean then equals the posterior mean
        NoiseSchedule sched = NoiseSchedule.named("cosine", 1000);
        for (int nfe : new int[] {3, 10, 50}) {
            GaussianSamplerLaw.Affine a = law("ddpm", sched, nfe), b = law("ddim1", sched, nfe);
            assertEquals(a.mean(), b.mean(), 1e-9);
            assertEquals(a.std(), b.std(), 1e-9);
        }
    }
}
