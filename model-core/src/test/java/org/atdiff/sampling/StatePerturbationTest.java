package org.atdiff.sampling;

import org.atdiff.train.ReferenceSettings;
import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.objective.FreeAdversarialObjective;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** Perturbations of the sampler's intermediate states: their norm, their randomness, the attack, the samplers' use. */
class StatePerturbationTest {
    static final NoiseSchedule LINEAR = NoiseSchedule.named("linear", 1000);
    static final long[] IMAGE = {1, 4, 4};

    /** eps(x) = W vec(x) with a fixed random 16 x 16 matrix: directions differ in how much they move the output. */
    static final class LinearDenoiser implements Denoiser {
        final Tensor w;

        LinearDenoiser(long seed) {
            double[] v = new double[16 * 16];
            java.util.Random r = new java.util.Random(seed);
            for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian() / 4;
            w = HostTensors.fromDoubles(v, 16, 16).to(torch.ScalarType.Float);
        }

        @Override
        public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
            return x.reshape(x.size(0), 16).matmul(w.t()).reshape(x.size(0), 1, 4, 4);
        }
    }

    static double[] rowNorms(Tensor v) {
        return HostTensors.toDoubles(FreeAdversarialObjective.perSampleNorm(v).reshape(-1).to(torch.ScalarType.Double));
    }

    static Tensor x(int rows) {
        return BatchNoise.forSamples(99, 0, rows).normal(IMAGE);
    }

    @Test
    void gaussianPerturbationHasTheRadiusAndDependsOnlyOnTheSampleStream() {
        try (PointerScope scope = new PointerScope()) {
            StatePerturbation p = StatePerturbation.named("gaussian", 0.2);
            Tensor x = x(3);
            Tensor out = p.apply(new LinearDenoiser(1), LINEAR, 500, x, null, BatchNoise.forSamples(7, 0, 3));
            for (double n : rowNorms(out.sub(x))) assertEquals(0.2 * 4, n, 1e-5, "||delta|| = radius sqrt(C*H*W)");
            float[] again = HostTensors.toFloats(p.apply(null, LINEAR, 500, x, null, BatchNoise.forSamples(7, 0, 3)));
            assertArrayEquals(HostTensors.toFloats(out), again, "same streams, same perturbation");
            float[] row1 = HostTensors.toFloats(p.apply(null, LINEAR, 500, x.narrow(0, 1, 1), null,
                    BatchNoise.forSamples(7, 1, 1)));
            assertArrayEquals(java.util.Arrays.copyOfRange(HostTensors.toFloats(out), 16, 32), row1, 1e-6f,
                    "sample 1 alone gets the perturbation it gets in a batch");
            float[] otherSeed = HostTensors.toFloats(p.apply(null, LINEAR, 500, x, null, BatchNoise.forSamples(8, 0, 3)));
            assertFalse(java.util.Arrays.equals(again, otherSeed));
        }
    }

    @Test
    void gradientAttackMovesThePredictionMoreThanItsRandomStart() {
        try (PointerScope scope = new PointerScope(); NoGradScope sampling = new NoGradScope()) {
            LinearDenoiser model = new LinearDenoiser(2);
            Tensor x = x(8);
            Tensor random = StatePerturbation.named("gaussian", 0.1).apply(model, LINEAR, 300, x, null,
                    BatchNoise.forSamples(5, 0, 8)).sub(x);
            Tensor attack = StatePerturbation.named("gradient", 0.1).apply(model, LINEAR, 300, x, null,
                    BatchNoise.forSamples(5, 0, 8)).sub(x);
            for (double n : rowNorms(attack)) assertEquals(0.1 * 4, n, 1e-5);
            // For eps = W x the attack is one power-iteration step of W^T W from the random start (the Gaussian
            // perturbation of the same stream), so ||W delta|| can only grow; in 16 dimensions it grows a lot.
            double[] moveRandom = rowNorms(model.predictNoise(random, null, null));
            double[] moveAttack = rowNorms(model.predictNoise(attack, null, null));
            double sumRandom = 0, sumAttack = 0;
            for (int i = 0; i < 8; i++) {
                assertTrue(moveAttack[i] >= moveRandom[i] * (1 - 1e-5), "row " + i);
                sumRandom += moveRandom[i];
                sumAttack += moveAttack[i];
            }
            assertTrue(sumAttack > 1.2 * sumRandom, sumAttack + " vs " + sumRandom);
        }
    }

    @Test
    void gradientAttackRunsOnAUNetWithFrozenWeightsInsideNoGrad() {
        try (PointerScope scope = new PointerScope(); NoGradScope sampling = new NoGradScope()) {
            UNet unet = new UNet(UNetConfig.preset("tiny", 8, 1), 3);
            for (Tensor p : unet.parameters()) {
                p.requires_grad_(false);
                p.add_(torch.randn_like(p).mul(new org.bytedeco.pytorch.Scalar(0.05))); // ADM zero-initialises the output
            }
            Tensor x = BatchNoise.forSamples(1, 0, 2).normal(1, 8, 8);
            Tensor out = new GradientStatePerturbation(0.05).apply(unet, LINEAR, 10, x, null, BatchNoise.forSamples(2, 0, 2));
            for (double n : rowNorms(out.sub(x))) assertEquals(0.05 * 8, n, 1e-4);
            assertFalse(org.bytedeco.pytorch.GradMode.is_enabled(), "the attack restores the caller's grad mode");
            for (Tensor p : unet.parameters()) assertFalse(p.grad().defined(), "no parameter gradients");
        }
    }

    @Test
    void samplersPerturbEveryStateAfterTheFirst() {
        Denoiser model = new GaussianDataDenoiser(LINEAR, 0.2, 0.25);
        for (String name : new String[] {"ddpm", "ddim", "dpm-solver++"}) {
            float[] plain = SamplerBehaviourTest.generate(Samplers.named(name, 0, TimestepSpacing.TRAILING), model, 6, 4, 0, 3);
            assertArrayEquals(plain, SamplerBehaviourTest.generate(
                    Samplers.named(name, 0, TimestepSpacing.TRAILING, ReferenceSettings.CM, StatePerturbation.NONE),
                    model, 6, 4, 0, 3), name + " without perturbation is unchanged");
            SamplerBehaviourTest.CountingDenoiser counting = new SamplerBehaviourTest.CountingDenoiser(model);
            float[] noisy = SamplerBehaviourTest.generate(Samplers.named(name, 0,
                    TimestepSpacing.TRAILING, ReferenceSettings.CM, new GradientStatePerturbation(0.1)), counting, 6, 4, 0, 3);
            assertEquals(6 + 2 * 5, counting.timesteps.size(), name + ": nfe evaluations plus two per attacked state");
            assertFalse(java.util.Arrays.equals(plain, noisy), name);
        }
    }

    @Test
    void badSettingsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StatePerturbation.named("blur", 0.1));
        assertTrue(e.getMessage().contains("blur") && e.getMessage().contains("gaussian"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StatePerturbation.named("gaussian", 0));
        assertTrue(e.getMessage().contains("radius"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Samplers.named("cm", 0,
                TimestepSpacing.TRAILING, ReferenceSettings.CM, new GaussianStatePerturbation(0.1)));
        assertTrue(e.getMessage().contains("cm"), e.getMessage());
        assertSame(StatePerturbation.NONE, StatePerturbation.named("none", 0));
    }
}
