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
 * <p>Measured discretisation error of the exact law (std / S - 1, T = 1000; trailing steps for DDPM/DDIM, leading and
 * linspace within 3 points of them; DPM-Solver++ on its log-SNR grid, ending at timestep 0): linear NFE 5: ddpm -69%,
 * ddim(0) -68%, dpm++ -24%; NFE 10: -47%, -44%, +2.8%; NFE 50: -18%, -11%, +0.3%; cosine NFE 5: -47%, -44%, -48%;
 * NFE 10: -31%, -25%, -0.6%; NFE 50: -11%, -5.4%, +0.6%. Few-step DDPM/DDIM lose variance on low-variance data
 * (the last step jumps across the noise level where x0 = E[x0 | x_t] starts to depend on x_t), and so does 5-step
 * DPM-Solver++ on the cosine schedule, whose log-SNR grid spends its first steps on t > 980; so the check is against
 * the exact law, which is strict: a wrong coefficient, a variance off by a square root or a swapped pair of
 * coefficients moves the std by far more than the 1% the sample size resolves.
 */
class SamplerMomentsTest {
    static final double M = 0.2, S = 0.25;
    static final int ROWS = 2048, BATCH = 512;
    static final long[] IMAGE = {1, 8, 8};
    static final int PIXELS = 64;

    static Sampler sampler(String name, TimestepSpacing spacing) {
        return switch (name) {
            case "ddim1" -> new DdimSampler(1.0, spacing);
            default -> Samplers.named(name, 0.0, spacing);
        };
    }

    static GaussianSamplerLaw.Affine law(String name, NoiseSchedule sched, int nfe, TimestepSpacing spacing) {
        GaussianSamplerLaw law = new GaussianSamplerLaw(M, S);
        int[] kept = spacing.timesteps(sched, nfe);
        return switch (name) {
            case "ddpm" -> law.ddpm(sched, kept);
            case "ddim" -> law.ddim(sched, kept, 0);
            case "ddim1" -> law.ddim(sched, kept, 1);
            case "dpm-solver++" -> law.dpmSolverPlusPlus2M(dpmSolverLevels(sched, nfe));
            default -> throw new IllegalArgumentException(name);
        };
    }

    static GaussianSamplerLaw.Affine law(String name, NoiseSchedule sched, int nfe) {
        return law(name, sched, nfe, TimestepSpacing.TRAILING);
    }

    /** abar at the nfe + 1 levels of DPM-Solver++'s path, the end (timestep 0) first. */
    static double[] dpmSolverLevels(NoiseSchedule sched, int nfe) {
        NoiseSchedule levels = new DpmSolverPlusPlus2MSampler(true).path(sched, nfe).levels();
        double[] ab = new double[levels.timesteps()];
        for (int j = 0; j < ab.length; j++) ab[j] = levels.alphaBar(j);
        return ab;
    }

    @ParameterizedTest(name = "{0} {1} nfe={2} {3}")
    @CsvSource({
        "ddpm, linear, 10, trailing", "ddpm, linear, 50, trailing", "ddpm, cosine, 10, trailing", "ddpm, cosine, 50, trailing",
        "ddim, linear, 10, trailing", "ddim, linear, 50, trailing", "ddim, cosine, 10, trailing", "ddim, cosine, 50, trailing",
        "ddim1, linear, 10, trailing", "ddim1, linear, 50, trailing", "ddim1, cosine, 10, trailing", "ddim1, cosine, 50, trailing",
        "ddpm, cosine, 10, leading", "ddpm, linear, 50, leading", "ddim, cosine, 10, leading", "ddim, linear, 50, leading",
        "ddpm, cosine, 10, linspace", "ddpm, linear, 50, linspace", "ddim, cosine, 10, linspace", "ddim, linear, 50, linspace",
        "dpm-solver++, linear, 5, logsnr", "dpm-solver++, linear, 10, logsnr", "dpm-solver++, linear, 50, logsnr",
        "dpm-solver++, cosine, 5, logsnr", "dpm-solver++, cosine, 10, logsnr", "dpm-solver++, cosine, 50, logsnr",
    })
    void samplerReproducesTheExactLawOfItsDiscretisation(String name, String scheduleName, int nfe, String spacingKey) {
        NoiseSchedule sched = NoiseSchedule.named(scheduleName, 1000);
        TimestepSpacing spacing = name.equals("dpm-solver++") ? TimestepSpacing.TRAILING : TimestepSpacing.named(spacingKey);
        GaussianSamplerLaw.Affine expected = law(name, sched, nfe, spacing);
        boolean deterministic = expected.noiseVar() == 0;
        Sampler sampler = sampler(name, spacing);
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
        if (name.equals("dpm-solver++") && nfe >= 10) {
            // and DPM-Solver++ gives the data's moments: its discretisation error is below 3% at NFE 10, 1% at NFE 50
            assertEquals(M, mean, 1e-3 + 5 * S / Math.sqrt(n), "dpm-solver++ mean against the data's");
            assertEquals(S, std, (nfe >= 50 ? 0.01 : 0.03) * S + 5 * S / Math.sqrt(2.0 * n), "dpm-solver++ std against the data's");
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

    @ParameterizedTest(name = "{0} nfe={1}")
    @CsvSource({
        "linear, 5, 0.19043094222589757, 0.19974804512314637", "linear, 10, 0.2569449225355057, 0.19966353487970898",
        "cosine, 5, 0.1301290053924138, 0.19999458891781088", "cosine, 50, 0.25142623276808146, 0.1999933933511722",
    })
    void dpmSolverLawIsTheReferenceImplementations(String scheduleName, int nfe, double slope, double offset) {
        // slope and offset of x_T -> output computed by a float64 numpy transcription of dpm_solver_pytorch.py
        // (NoiseScheduleVP('discrete') without log-SNR clipping, multistep, order 2, skip_type='logSNR',
        // lower_order_final, t from 1 to 1/N, model time (t - 1/N) N) on the same exact denoiser
        GaussianSamplerLaw.Affine law = law("dpm-solver++", NoiseSchedule.named(scheduleName, 1000), nfe);
        assertEquals(slope, law.slope(), 1e-9);
        assertEquals(offset, law.offset(), 1e-9);
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
