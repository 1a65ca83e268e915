package org.atdiff.nn;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.random.RandomStream;
import org.atdiff.tensor.AutocastScope;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** bf16 autocast of the U-Net forward: what runs in bf16, what comes back in float32, and that the state is restored. */
@ExtendWith(SingleThreadedTorch.class)
class AutocastDenoiserTest {

    @Test
    void forwardRunsInBFloat16AndReturnsFloat32CloseToTheFloat32Forward() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 8, 3), 3);
            TestWeights.perturb(model, 4, 0.02); // the zero-initialised output conv would make every output 0
            RandomStream rng = new RandomStream(5);
            Tensor x = rng.normal(new long[] {4, 3, 8, 8});
            Tensor t = HostTensors.fromFloats(new float[] {0, 10, 500, 999}, 4);
            float[] exact = HostTensors.toFloats(model.predictNoise(x, t, null));
            try (AutocastScope autocast = AutocastScope.on(ScalarType.BFloat16)) {
                assertTrue(AutocastScope.enabled());
                assertEquals(ScalarType.BFloat16, model.predictNoise(x, t, null).scalar_type().intern(),
                        "the last convolution of the U-Net runs in bf16 under autocast");
            }
            assertFalse(AutocastScope.enabled(), "autocast is off again after the scope");
            Tensor out = new AutocastDenoiser(model, ScalarType.BFloat16).predictNoise(x, t, null);
            assertEquals(ScalarType.Float, out.scalar_type().intern());
            assertFalse(AutocastScope.enabled());
            float[] mixed = HostTensors.toFloats(out);
            double err = 0, norm = 0;
            int differ = 0;
            for (int i = 0; i < exact.length; i++) {
                err += (mixed[i] - exact[i]) * (mixed[i] - exact[i]);
                norm += exact[i] * exact[i];
                if (mixed[i] != exact[i]) differ++;
            }
            assertTrue(norm > 0, "perturbed model gives a non-zero output");
            double rel = Math.sqrt(err / norm);
            assertTrue(rel < 3e-2, "bf16 forward relative error " + rel); // bf16 keeps 8 significant bits
            assertTrue(differ > exact.length / 2, "bf16 forward differs from fp32 in " + differ + " of " + exact.length);
        }
    }

    @Test
    void aLearnedVarianceOutputComesBackInFloat32WithBothHalves() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 8, 3).withLearnSigma(true), 3);
            TestWeights.perturb(model, 4, 0.02);
            Tensor x = new RandomStream(5).normal(new long[] {2, 3, 8, 8});
            Tensor t = HostTensors.fromFloats(new float[] {10, 900}, 2);
            DenoiserOutput exact = model.predict(x, t, null);
            DenoiserOutput mixed = new AutocastDenoiser(model, ScalarType.BFloat16).predict(x, t, null);
            assertEquals(ScalarType.Float, mixed.eps().scalar_type().intern());
            assertEquals(ScalarType.Float, mixed.v().scalar_type().intern());
            for (Tensor[] pair : new Tensor[][] {{exact.eps(), mixed.eps()}, {exact.v(), mixed.v()}}) {
                double rel = pair[0].sub(pair[1]).norm().item_double() / pair[0].norm().item_double();
                assertTrue(rel < 3e-2, "bf16 relative error " + rel);
            }
        }
    }

    @Test
    void autocastIsRestoredWhenTheForwardThrows() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 8, 3), 3);
            Tensor wrongSize = torch.zeros(2, 3, 4, 4);
            Tensor t = torch.zeros(2);
            AutocastDenoiser mixed = new AutocastDenoiser(model, ScalarType.BFloat16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> mixed.predictNoise(wrongSize, t, null));
            assertTrue(e.getMessage().contains("x has shape"), e.getMessage());
            assertFalse(AutocastScope.enabled());
        }
    }

    @Test
    void onlyBFloat16IsAccepted() {
        UNet model = new UNet(UNetConfig.preset("tiny", 8, 3), 3);
        assertThrows(IllegalArgumentException.class, () -> new AutocastDenoiser(model, ScalarType.Half));
        assertThrows(IllegalArgumentException.class, () -> new AutocastDenoiser(null, ScalarType.BFloat16));
        AutocastDenoiser mixed = new AutocastDenoiser(model, ScalarType.BFloat16);
        assertEquals(model.parameters().size(), mixed.parameters().size());
        assertEquals(model.stateDict().keySet(), mixed.stateDict().keySet());
    }
}
