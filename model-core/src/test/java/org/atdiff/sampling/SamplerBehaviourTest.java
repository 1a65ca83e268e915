package org.atdiff.sampling;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.nn.Denoiser;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** Determinism, batching invariance, evaluation counts, names and epsilon scaling of the samplers. */
class SamplerBehaviourTest {
    static final NoiseSchedule LINEAR = NoiseSchedule.named("linear", 1000);
    static final double M = 0.2, S = 0.25;
    static final Denoiser MODEL = new GaussianDataDenoiser(LINEAR, M, S);
    static final long[] IMAGE = {1, 4, 4};

    static List<Sampler> all() {
        return List.of(new DdpmSampler(TimestepSpacing.TRAILING), new DdimSampler(0, TimestepSpacing.TRAILING),
                new DdimSampler(0.5, TimestepSpacing.TRAILING), new DdimSampler(1, TimestepSpacing.TRAILING),
                new DdpmSampler(TimestepSpacing.LINSPACE), new DdimSampler(0, TimestepSpacing.LINSPACE),
                new DpmSolverPlusPlus2MSampler(false), new DpmSolverPlusPlus2MSampler(true));
    }

    /** Counts calls and records the timesteps the model sees. */
    static final class CountingDenoiser implements Denoiser {
        final Denoiser inner;
        final List<Float> timesteps = new ArrayList<>();

        CountingDenoiser(Denoiser inner) {
            this.inner = inner;
        }

        @Override
        public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
            float[] ts = HostTensors.toFloats(t);
            for (float v : ts) assertEquals(ts[0], v, 0, "all rows step together");
            timesteps.add(ts[0]);
            return inner.predictNoise(x, t, labels);
        }
    }

    static float[] generate(Sampler sampler, Denoiser model, int nfe, long seed, long first, int count) {
        try (PointerScope scope = new PointerScope()) {
            return HostTensors.toFloats(sampler.generate(model, LINEAR, nfe, null, BatchNoise.forSamples(seed, first, count), IMAGE));
        }
    }

    @Test
    void everySamplerEvaluatesTheModelExactlyNfeTimesAtItsKeptTimesteps() {
        // (cm: ConsistencySamplerTest counts its calls); leading has no stride for one step
        List<Sampler> samplers = new ArrayList<>(all());
        samplers.add(new DdpmSampler(TimestepSpacing.LEADING));
        samplers.add(new DdimSampler(0, TimestepSpacing.LEADING));
        for (Sampler sampler : samplers) {
            for (int nfe : new int[] {1, 2, 5, 7, 10}) {
                if (spacing(sampler) == TimestepSpacing.LEADING && nfe == 1) continue;
                CountingDenoiser counting = new CountingDenoiser(MODEL);
                List<Double> progress = new ArrayList<>();
                ReverseProcessSampler r = (ReverseProcessSampler) sampler;
                try (PointerScope scope = new PointerScope()) {
                    BatchNoise noise = BatchNoise.forSamples(3, 0, 2);
                    r.sample(counting, LINEAR, nfe, noise.normal(IMAGE), null, noise, (done, total, t) -> {
                        assertEquals(progress.size() + 1, done);
                        assertEquals(nfe, total);
                        progress.add(t);
                    });
                }
                String name = sampler.getClass().getSimpleName() + " " + spacing(sampler) + " nfe=" + nfe;
                assertEquals(nfe, counting.timesteps.size(), name);
                assertEquals(nfe, progress.size(), name + ": one progress report per step");
                double[] expected = sampler instanceof DpmSolverPlusPlus2MSampler ? dpmSolverTimes(nfe) : spacedTimes(r, nfe);
                for (int k = 0; k < nfe; k++) {
                    assertEquals((float) expected[k], counting.timesteps.get(k), 1e-4, name + " evaluation " + k);
                    assertEquals(expected[k], progress.get(k), 1e-9, name + " progress " + k);
                }
            }
        }
    }

    /** The spacing of ddpm and ddim, null for dpm-solver++. */
    static TimestepSpacing spacing(Sampler sampler) {
        return sampler instanceof RespacedSampler r ? r.spacing() : null;
    }

    /** ddpm and ddim: the spacing's kept timesteps, largest first. */
    static double[] spacedTimes(ReverseProcessSampler sampler, int nfe) {
        int[] kept = spacing(sampler).timesteps(LINEAR, nfe);
        double[] t = new double[nfe];
        for (int k = 0; k < nfe; k++) t[k] = kept[nfe - 1 - k];
        return t;
    }

    /**
     * DPM-Solver's reference grid (dpm_solver_pytorch.py, skip_type="logSNR"): nfe + 1 times evenly spaced in log-SNR
     * from timestep T-1 to timestep 0, each the fractional timestep at which the piecewise-linear log abar has that
     * log-SNR; the model sees the first nfe of them, never the last (timestep 0).
     */
    static double[] dpmSolverTimes(int nfe) {
        double hi = LINEAR.logSnr(999), lo = LINEAR.logSnr(0);
        double[] t = new double[nfe];
        t[0] = 999;
        for (int k = 1; k < nfe; k++) {
            double logAlphaBar = -Math.log1p(Math.exp(-(hi + (lo - hi) * k / nfe))); // abar = sigmoid(log-SNR)
            int j = 0;
            while (Math.log(LINEAR.alphaBar(j + 1)) > logAlphaBar) j++;
            double a = Math.log(LINEAR.alphaBar(j)), b = Math.log(LINEAR.alphaBar(j + 1));
            t[k] = j + (a - logAlphaBar) / (a - b);
        }
        return t;
    }

    @Test
    void dpmSolverSpendsNoEvaluationAtTimestepZeroAndReturnsItsLastStep() {
        // 5 steps are 5 evaluations, none at t = 0; the output is the 5th step's x at timestep 0, clamped: with an
        // exact denoiser for N(0.2, 0.25^2) it is within 2% of the data's std already, which x0 = E[x0 | x_t] would not be
        for (int nfe : new int[] {1, 5}) {
            CountingDenoiser counting = new CountingDenoiser(MODEL);
            generate(new DpmSolverPlusPlus2MSampler(true), counting, nfe, 3, 0, 2);
            assertEquals(nfe, counting.timesteps.size());
            for (float t : counting.timesteps) assertTrue(t > 0, "evaluated at timestep " + t);
        }
        SamplingPath path = new DpmSolverPlusPlus2MSampler(true).path(LINEAR, 5);
        assertEquals(6, path.levels().timesteps());
        assertEquals(1, path.lowest());
        assertEquals(0, path.levels().modelTimestep(0), 0);
        assertEquals(LINEAR.alphaBar(0), path.levels().alphaBar(0), 0);
        assertEquals(999, path.levels().modelTimestep(5), 0);
        for (int j = 1; j <= 5; j++) { // evenly spaced in log-SNR
            assertEquals((LINEAR.logSnr(0) - LINEAR.logSnr(999)) / 5, path.levels().logSnr(j - 1) - path.levels().logSnr(j), 1e-9);
        }
    }

    @Test
    void imagesDoNotDependOnBatching() {
        for (Sampler sampler : all()) {
            float[] whole = generate(sampler, MODEL, 5, 42, 0, 8);
            for (int batch : new int[] {1, 3}) {
                float[] pieces = new float[whole.length];
                for (int first = 0; first < 8; first += batch) {
                    int count = Math.min(batch, 8 - first);
                    float[] part = generate(sampler, MODEL, 5, 42, first, count);
                    System.arraycopy(part, 0, pieces, first * 16, part.length);
                }
                assertArrayEquals(whole, pieces, sampler.getClass().getSimpleName() + " batch " + batch);
            }
        }
    }

    @Test
    void ddimWithEtaZeroIsDeterministicAndDrawsNoNoiseAfterXT() {
        try (PointerScope scope = new PointerScope()) {
            BatchNoise noise = BatchNoise.forSamples(7, 0, 4);
            Tensor xT = noise.normal(IMAGE);
            long counter = noise.stream(0).counter();
            DdimSampler ddim = new DdimSampler(0, TimestepSpacing.TRAILING);
            float[] a = HostTensors.toFloats(ddim.sample(MODEL, LINEAR, 10, xT, null, noise));
            float[] b = HostTensors.toFloats(ddim.sample(MODEL, LINEAR, 10, xT, null, BatchNoise.forSamples(99, 0, 4)));
            assertArrayEquals(a, b);
            assertEquals(counter, noise.stream(0).counter(), "eta = 0 drew noise");
            assertArrayEquals(generate(ddim, MODEL, 10, 7, 0, 4), generate(ddim, MODEL, 10, 7, 0, 4));
            assertArrayEquals(a, generate(ddim, MODEL, 10, 7, 0, 4));
        }
        // stochastic samplers do depend on the seed
        DdpmSampler ddpm = new DdpmSampler(TimestepSpacing.TRAILING);
        assertFalse(java.util.Arrays.equals(generate(ddpm, MODEL, 10, 1, 0, 2), generate(ddpm, MODEL, 10, 2, 0, 2)));
    }

    @Test
    void samplesAreInTheDataRangeAndInputsAreLeftAlone() {
        Denoiser wide = new GaussianDataDenoiser(LINEAR, 0, 3); // mostly outside [-1, 1]
        for (Sampler sampler : all()) {
            try (PointerScope scope = new PointerScope()) {
                BatchNoise noise = BatchNoise.forSamples(5, 0, 16);
                Tensor xT = noise.normal(IMAGE);
                float[] before = HostTensors.toFloats(xT);
                float[] x0 = HostTensors.toFloats(sampler.sample(wide, LINEAR, 6, xT, null, noise));
                for (float v : x0) assertTrue(v >= -1 && v <= 1, "sample outside [-1, 1]: " + v);
                assertArrayEquals(before, HostTensors.toFloats(xT), "xT was modified");
            }
        }
    }

    @Test
    void epsilonScalingByOneChangesNothing() {
        for (Sampler sampler : all()) {
            assertArrayEquals(generate(sampler, MODEL, 8, 4, 0, 3), generate(sampler, new EpsilonScaling(MODEL, 1.0), 8, 4, 0, 3));
        }
    }

    @Test
    void epsilonScalingAboveOneMovesEveryDeterministicDdimSampleAwayFromTheMean() {
        // For Gaussian data every DDIM (eta = 0) step maps x - sqrt(abar) m to a positive multiple of itself, and
        // that multiple grows when eps is divided by a factor > 1 (also through the monotone x0 clipping); so for the
        // same x_T each ES sample lies on the same side of m and at least as far from it: its spread grows.
        int n = 64;
        DdimSampler ddim = new DdimSampler(0, TimestepSpacing.TRAILING);
        float[] plain = generate(ddim, MODEL, 10, 8, 0, n);
        float[] scaled = generate(ddim, new EpsilonScaling(MODEL), 10, 8, 0, n);
        double plainSq = 0, scaledSq = 0;
        for (int j = 0; j < plain.length; j++) {
            double p = plain[j] - M, s = scaled[j] - M;
            assertTrue(p * s >= 0 && Math.abs(s) >= Math.abs(p) - 1e-6, "pixel " + j + ": " + plain[j] + " -> " + scaled[j]);
            plainSq += p * p;
            scaledSq += s * s;
        }
        assertTrue(scaledSq > plainSq * 1.1, "ES did not widen the samples: " + plainSq + " vs " + scaledSq);
    }

    @Test
    void badArgumentsAreRejectedByName() {
        TimestepSpacing trailing = TimestepSpacing.TRAILING;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Samplers.named("dpm-solver", 0, trailing));
        assertTrue(e.getMessage().contains("dpm-solver"), e.getMessage());
        assertInstanceOf(DdpmSampler.class, Samplers.named("ddpm", 0, trailing));
        assertEquals(TimestepSpacing.LEADING, ((DdpmSampler) Samplers.named("ddpm", 0, TimestepSpacing.LEADING)).spacing());
        assertEquals(0.3, ((DdimSampler) Samplers.named("ddim", 0.3, trailing)).eta(), 0);
        assertEquals(TimestepSpacing.LINSPACE, ((DdimSampler) Samplers.named("ddim", 0.3, TimestepSpacing.LINSPACE)).spacing());
        assertInstanceOf(DpmSolverPlusPlus2MSampler.class, Samplers.named("dpm-solver++", 0, trailing));
        assertTrue(((DpmSolverPlusPlus2MSampler) Samplers.named("dpm-solver++", 0, trailing)).clipsX0(),
                "sample.sampler = dpm-solver++ clips x0 like ddim and ddpm");
        assertEquals("leading", Samplers.spacingOf("ddim", TimestepSpacing.LEADING, new int[0]));
        assertEquals("logsnr", Samplers.spacingOf("dpm-solver++", TimestepSpacing.LEADING, new int[0]));
        assertEquals("trailing", Samplers.spacingOf("cm", TimestepSpacing.LEADING, new int[0]));
        assertEquals("cm.sampling-times", Samplers.spacingOf("cm", TimestepSpacing.LEADING, new int[] {400}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DdimSampler(1.5, trailing)).getMessage().contains("1.5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new EpsilonScaling(MODEL, 0)).getMessage().contains("0"));
        e = assertThrows(IllegalArgumentException.class, () -> new DdpmSampler(TimestepSpacing.LEADING).path(LINEAR, 1));
        assertTrue(e.getMessage().contains("leading"), e.getMessage());
        try (PointerScope scope = new PointerScope()) {
            Tensor xT = BatchNoise.forSamples(1, 0, 3).normal(IMAGE);
            BatchNoise two = BatchNoise.forSamples(1, 0, 2);
            e = assertThrows(IllegalArgumentException.class, () -> new DdpmSampler(trailing).sample(MODEL, LINEAR, 5, xT, null, two));
            assertTrue(e.getMessage().contains("3 rows"), e.getMessage());
            BatchNoise three = BatchNoise.forSamples(1, 0, 3);
            e = assertThrows(IllegalArgumentException.class, () -> new DdimSampler(0, trailing).sample(MODEL, LINEAR, 1001, xT, null, three));
            assertTrue(e.getMessage().contains("1001"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new DpmSolverPlusPlus2MSampler(true).sample(MODEL, LINEAR, 1001, xT, null, three));
            assertTrue(e.getMessage().contains("1001"), e.getMessage());
        }
    }

    @Test
    void perStepTensorsAreFreedAndTheCallersTensorsKept() {
        // the model records every x it is given and every eps it returns; after sampling only x_T may still be alive
        final class Recording implements Denoiser {
            final List<Tensor> seen = new ArrayList<>();

            @Override
            public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
                Tensor eps = MODEL.predictNoise(x, t, labels);
                seen.add(x);
                seen.add(eps);
                return eps;
            }
        }
        for (Sampler sampler : all()) {
            Recording model = new Recording();
            try (PointerScope scope = new PointerScope()) {
                BatchNoise noise = BatchNoise.forSamples(2, 0, 2);
                Tensor xT = noise.normal(IMAGE);
                Tensor out = sampler.sample(model, LINEAR, 6, xT, null, noise);
                assertSame(xT, model.seen.get(0));
                for (int k = 1; k < model.seen.size(); k++) {
                    assertTrue(model.seen.get(k).isNull(), sampler.getClass().getSimpleName() + ": tensor " + k + " not freed");
                }
                assertFalse(xT.isNull());
                assertFalse(out.isNull());
                assertEquals(2 * 16, HostTensors.toFloats(out).length);
            }
        }
    }
}
