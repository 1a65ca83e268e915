package org.atdiff.consistency;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.diffusion.CosineSchedule;
import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.objective.TinyConvDenoiser;
import org.atdiff.random.RandomStream;
import org.atdiff.sampling.GaussianDataDenoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SingleThreadedTorch.class)
class ConsistencyParameterizationTest {

    private final NoiseSchedule schedule = new LinearSchedule(1000);
    private final ConsistencyParameterization p = new ConsistencyParameterization(schedule, 0.5);

    private static int[] filled(int b, int t) {
        int[] a = new int[b];
        java.util.Arrays.fill(a, t);
        return a;
    }

    @Test
    void boundaryConditionHoldsBitForBitAtTheSmallestTime() {
        try (PointerScope scope = new PointerScope()) {
            assertEquals(1.0, p.cSkip(0));
            assertEquals(0.0, p.cOut(0));
            Tensor x = new RandomStream(1).normal(3, 1, 8, 8).mul(new org.bytedeco.pytorch.Scalar(5.0));
            float[] want = HostTensors.toFloats(x);
            ConsistencyNetwork conv = new ConsistencyNetwork(new TinyConvDenoiser(1, 8, 1000, 3), p);
            assertArrayEquals(want, HostTensors.toFloats(conv.apply(x, filled(3, 0), null)));
            ConsistencyNetwork unet = new ConsistencyNetwork(new UNet(UNetConfig.preset("tiny", 8, 1), 4), p);
            assertArrayEquals(want, HostTensors.toFloats(unet.apply(x, filled(3, 0), null)));
            // and in double precision
            Tensor xd = x.to(ScalarType.Double);
            ConsistencyNetwork dbl = new ConsistencyNetwork(new TinyConvDenoiser(1, 8, 1000, 3, ScalarType.Double), p);
            assertArrayEquals(HostTensors.toDoubles(xd), HostTensors.toDoubles(dbl.apply(xd, filled(3, 0), null)));
            // rows at other times in the same batch are not held to it
            float[] mixed = HostTensors.toFloats(conv.apply(x, new int[] {0, 500, 999}, null));
            for (int i = 0; i < 64; i++) assertEquals(want[i], mixed[i]);
            assertNotEquals(want[64], mixed[64]);
        }
    }

    @Test
    void skipAndOutCoefficients() {
        for (NoiseSchedule s : new NoiseSchedule[] {schedule, new CosineSchedule(1000)}) {
            ConsistencyParameterization q = new ConsistencyParameterization(s, 0.5);
            double prevSkip = 2;
            for (int t = 0; t < s.timesteps(); t++) {
                double sigma = Math.sqrt((1 - s.alphaBar(t)) / s.alphaBar(t));
                assertEquals(sigma, q.sigma(t), 1e-12 * sigma);
                double d = sigma - q.sigmaMin();
                assertEquals(0.25 / (d * d + 0.25), q.cSkip(t), 1e-15); // Song et al. 2023, Appendix C
                assertEquals(1.0, q.cSkip(t) + q.cOut(t), 1e-15);
                assertTrue(q.cSkip(t) < prevSkip || t == 0);
                prevSkip = q.cSkip(t);
            }
            assertTrue(q.cOut(s.timesteps() - 1) > 0.9999);
        }
        assertEquals(Math.sqrt(1e-4 / (1 - 1e-4)), p.sigmaMin(), 1e-15);
    }

    /**
     * For data N(m, s^2) the exact denoiser's data prediction is the posterior mean m + s^2 (x - m) / (s^2 + sigma^2)
     * in CM coordinates, and f = c_skip x + c_out F.
     */
    @Test
    void dataPredictionIsTheNetworksX0AndFCombinesItWithTheInput() {
        try (PointerScope scope = new PointerScope()) {
            double m = 0.3, s = 0.2;
            GaussianDataDenoiser exact = new GaussianDataDenoiser(schedule, m, s);
            int[] t = {0, 10, 200, 600, 999};
            Tensor x = new RandomStream(2).normal(5, 1, 2, 2);
            for (int b = 0; b < 5; b++) x.select(0, b).mul_(new org.bytedeco.pytorch.Scalar(Math.sqrt(s * s + p.sigma(t[b]) * p.sigma(t[b]))));
            float[] xs = HostTensors.toFloats(x);
            float[] f0 = HostTensors.toFloats(p.dataPrediction(exact, x, t, null));
            float[] f = HostTensors.toFloats(new ConsistencyNetwork(exact, p).apply(x, t, null));
            for (int b = 0; b < 5; b++) {
                double sig = p.sigma(t[b]);
                for (int j = 0; j < 4; j++) {
                    int i = b * 4 + j;
                    double post = m + s * s * (xs[i] - m) / (s * s + sig * sig);
                    assertEquals(post, f0[i], 1e-5 * (1 + sig), "t = " + t[b]);
                    assertEquals(p.cSkip(t[b]) * xs[i] + p.cOut(t[b]) * f0[i], f[i], 1e-5 * (1 + Math.abs(xs[i])));
                }
            }
        }
    }

    @Test
    void coordinatesRoundTripAndTheImpliedNoiseExplainsTheState() {
        try (PointerScope scope = new PointerScope()) {
            int[] t = {0, 300, 999};
            Tensor xt = new RandomStream(5).normal(3, 1, 4, 4).to(ScalarType.Double);
            Tensor x = p.fromDiffusion(xt, t);
            assertTrue(p.toDiffusion(x, t).allclose(xt, 1e-12, 1e-12, false));
            assertEquals(Math.sqrt(1 + p.sigma(999) * p.sigma(999)), x.select(0, 2).div(xt.select(0, 2)).mean().item_double(), 1e-9);
            ConsistencyNetwork f = new ConsistencyNetwork(new TinyConvDenoiser(1, 8, 1000, 3, ScalarType.Double), p);
            Tensor eps = f.predictNoise(xt, schedule.modelTimesteps(t), null);
            // sqrt(abar) f + sqrt(1 - abar) eps = x_t (DDPM eq. 4)
            Tensor rebuilt = p.toDiffusion(f.apply(x, t, null), t)
                    .add(eps.mul(p.perSample(3, b -> schedule.sqrtOneMinusAlphaBar(t[b]), xt)));
            assertTrue(rebuilt.allclose(xt, 1e-9, 1e-9, false));
            assertArrayEquals(new double[16], HostTensors.toDoubles(eps.select(0, 0)), 1e-9, "f(x, 0) = x implies no noise");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> f.predictNoise(xt, HostTensors.fromFloats(new float[] {0.5f, 1, 2}, 3), null));
            assertTrue(e.getMessage().contains("integer timesteps"), e.getMessage());
        }
    }

    @Test
    void karrasDiscretisationOnTheSchedule() {
        ConsistencyDiscretization d = new ConsistencyDiscretization(p, 18, 7);
        assertEquals(18, d.points());
        assertEquals(0, d.timestep(0));
        assertEquals(999, d.timestep(17));
        double lo = Math.pow(p.sigmaMin(), 1 / 7.0), hi = Math.pow(p.sigmaMax(), 1 / 7.0);
        for (int n = 1; n < 18; n++) {
            assertTrue(d.timestep(n) > d.timestep(n - 1));
            double want = Math.pow(lo + (hi - lo) * n / 17, 7); // Karras et al. 2022, eq. 5
            // the nearest discrete level: within half a timestep's sigma ratio
            double ratio = Math.abs(Math.log(d.sigma(n) / want));
            double step = Math.log(p.sigma(Math.min(999, d.timestep(n) + 1)) / p.sigma(Math.max(0, d.timestep(n) - 1)));
            assertTrue(ratio <= step, "point " + n + ": sigma " + d.sigma(n) + " vs " + want);
        }
        int[] all = new ConsistencyDiscretization(p, 1000, 7).timesteps();
        for (int t = 0; t < 1000; t++) assertEquals(t, all[t]);
        int[] dense = new ConsistencyDiscretization(p, 640, 7).timesteps(); // collisions near t = 0 are moved up
        for (int n = 1; n < dense.length; n++) assertTrue(dense[n] > dense[n - 1]);
        assertEquals(999, dense[639]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ConsistencyDiscretization(p, 1001, 7));
        assertTrue(e.getMessage().contains("cm.discretization"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ConsistencyParameterization(schedule, 0));
        assertTrue(e.getMessage().contains("cm.sigma-data"), e.getMessage());
    }
}
