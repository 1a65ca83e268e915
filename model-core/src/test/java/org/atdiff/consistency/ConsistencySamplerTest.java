package org.atdiff.consistency;

import org.atdiff.train.ReferenceSettings;
import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.objective.TinyConvDenoiser;
import org.atdiff.random.BatchNoise;
import org.atdiff.sampling.ConsistencySampler;
import org.atdiff.sampling.DdimSampler;
import org.atdiff.sampling.Sampler;
import org.atdiff.sampling.Samplers;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SingleThreadedTorch.class)
class ConsistencySamplerTest {

    private static final double M = 0.3, S = 0.2;
    private final NoiseSchedule schedule = new LinearSchedule(1000);
    private final ConsistencyParameterization p = new ConsistencyParameterization(schedule, 0.5);

    /**
     * With the exact consistency function of N(m, s^2) data, 1-, 2- and 3-step sampling (Song et al. 2023,
     * Algorithm 1) all give N(m, s^2 + sigma_min^2): re-noising x + sqrt(sigma_tau^2 - sigma_min^2) z lands on the
     * exact marginal at tau. One call of f per step.
     */
    @Test
    void exactConsistencyFunctionSamplesTheDataWithOneCallPerStep() {
        try (PointerScope scope = new PointerScope()) {
            double sd = Math.sqrt(S * S + p.sigmaMin() * p.sigmaMin());
            for (int nfe = 1; nfe <= 3; nfe++) {
                GaussianConsistencyFunction f = new GaussianConsistencyFunction(p, M, S);
                Tensor x = new ConsistencySampler(0.5, new int[0]).generate(f, schedule, nfe, null,
                        BatchNoise.forSamples(7, 0, 500), 1, 4, 4);
                assertEquals(nfe, f.calls);
                double[] mom = GaussianData.moments(x); // 8000 values: standard errors 0.0022 (mean), 0.0016 (std)
                assertEquals(M, mom[0], 0.01, "mean, nfe " + nfe);
                assertEquals(sd, mom[1], 0.008, "std, nfe " + nfe);
            }
        }
    }

    @Test
    void reNoisingTimes() {
        ConsistencySampler trailing = new ConsistencySampler(0.5, new int[0]);
        assertArrayEquals(new int[0], trailing.renoisingTimes(schedule, 1));
        assertArrayEquals(new int[] {499}, trailing.renoisingTimes(schedule, 2));
        assertArrayEquals(new int[] {749, 499, 249}, trailing.renoisingTimes(schedule, 4));
        ConsistencySampler configured = new ConsistencySampler(0.5, new int[] {400, 100});
        assertArrayEquals(new int[] {400}, configured.renoisingTimes(schedule, 2));
        assertArrayEquals(new int[] {400, 100}, configured.renoisingTimes(schedule, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> configured.renoisingTimes(schedule, 4));
        assertTrue(e.getMessage().contains("cm.sampling-times"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ConsistencySampler(0.5, new int[] {999}).renoisingTimes(schedule, 2));
        assertTrue(e.getMessage().contains("cm.sampling-times"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ConsistencySampler(0.5, new int[] {100, 400}));
        assertTrue(e.getMessage().contains("cm.sampling-times"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> trailing.renoisingTimes(schedule, 0));
    }

    /**
     * A plain network is taken as F of the skip/out parameterisation: the same images as with the explicit
     * {@link ConsistencyNetwork}; every row depends on its own stream only; the output is clamped to [-1, 1].
     */
    @Test
    void aNetworkIsWrappedAndRowsAreIndependentOfTheBatch() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser net = new TinyConvDenoiser(1, 8, 1000, 3);
            Sampler cm = Samplers.named("cm", 0.0, TimestepSpacing.TRAILING, ReferenceSettings.CM);
            assertInstanceOf(ConsistencySampler.class, cm);
            float[] wrapped = HostTensors.toFloats(cm.generate(net, schedule, 2, null, BatchNoise.forSamples(5, 0, 3), 1, 4, 4));
            float[] explicit = HostTensors.toFloats(cm.generate(new ConsistencyNetwork(net, p), schedule, 2, null,
                    BatchNoise.forSamples(5, 0, 3), 1, 4, 4));
            assertArrayEquals(explicit, wrapped);
            float[] alone = HostTensors.toFloats(cm.generate(net, schedule, 2, null, BatchNoise.forSamples(5, 1, 1), 1, 4, 4));
            assertArrayEquals(alone, java.util.Arrays.copyOfRange(wrapped, 16, 32), 1e-6f);
            for (float v : wrapped) assertTrue(v >= -1 && v <= 1);
        }
    }

    /** Through its implied noise a consistency function also serves the other samplers. */
    @Test
    void otherSamplersAcceptAConsistencyFunction() {
        try (PointerScope scope = new PointerScope()) {
            double[] mom = GaussianData.moments(new DdimSampler(0, TimestepSpacing.TRAILING).generate(new GaussianConsistencyFunction(p, M, S),
                    schedule, 1, null, BatchNoise.forSamples(7, 0, 200), 1, 4, 4));
            // one DDIM step from T-1 returns the function's own x0 estimate
            assertEquals(M, mom[0], 0.02);
            assertEquals(S, mom[1], 0.02);
        }
    }

    @Test
    void samplersByName() {
        assertEquals(java.util.List.of("ddpm", "ddim", "dpm-solver++", "cm"), Samplers.NAMES);
        assertInstanceOf(ConsistencySampler.class, Samplers.named("cm", 0.0, TimestepSpacing.TRAILING, ReferenceSettings.CM));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Samplers.named("cm", 0.0, TimestepSpacing.TRAILING))
                .getMessage().contains("cm.*"));
        assertInstanceOf(DdimSampler.class, Samplers.named("ddim", 0.0, TimestepSpacing.TRAILING));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Samplers.named("lcm", 0.0, TimestepSpacing.TRAILING));
        assertTrue(e.getMessage().contains("cm"), e.getMessage());
    }
}
