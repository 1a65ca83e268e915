package org.atdiff.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atdiff.SingleThreadedTorch;
import org.atdiff.nn.AutocastScope;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a CPU with a wrong oneDNN does to a run, on a CPU where it is right: the check is shown some (path, shape)
 * pairs 30% off, and the engine must leave the path mid-run, fall back to float32 for bf16, or stop, as it would on
 * Zen 5. The tiny U-Net on 16x16x1 images has 64->32 convolutions in its up path, which the battery does not hold.
 */
@ExtendWith(SingleThreadedTorch.class)
class SimulatedFaultTest {
    @AfterEach
    void restore() {
        ConvolutionEngine.simulateFault(null);
        ConvolutionEngine.configure(ConvolutionEngine.AUTO);
    }

    private static float[] forwardAndBackward(UNet model) {
        Tensor x = new RandomStream(5).normal(2, 1, 16, 16).requires_grad_(true);
        Tensor eps = model.predictNoise(x, HostTensors.fromFloats(new float[] {3f, 700f}, 2), null);
        eps.to(ScalarType.Float).square().sum().backward();
        float[] grad = HostTensors.toFloats(x.grad());
        for (float g : grad) assertTrue(Float.isFinite(g));
        return HostTensors.toFloats(eps);
    }

    @Test
    void aModelShapeTheDefaultGetsWrongMovesAutoToChannelsLastMidRun() {
        float[] expected;
        try (ForcedPath forced = ForcedPath.use(ConvolutionPath.CHANNELS_LAST); PointerScope scope = new PointerScope()) {
            expected = forwardAndBackward(new UNet(UNetConfig.preset("tiny", 16, 1), 3));
        }
        ConvolutionEngine.simulateFault((path, s) -> path == ConvolutionPath.DEFAULT && s.in() == 64 && s.out() == 32);
        assertEquals(ConvolutionPath.DEFAULT, ConvolutionEngine.configure(ConvolutionEngine.AUTO).path(), "the battery passes");
        try (PointerScope scope = new PointerScope()) {
            float[] actual = forwardAndBackward(new UNet(UNetConfig.preset("tiny", 16, 1), 3));
            EngineReport report = ConvolutionEngine.report();
            assertEquals(ConvolutionPath.CHANNELS_LAST, report.path(), report.line());
            assertTrue(report.failures().get(0).startsWith("default: 64->32"), report.line());
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-5, "output " + i);
        }
    }

    @Test
    void aWrongNativeBf16RunsBf16ConvolutionsInFloat32OnTheSamePath() {
        ConvolutionEngine.simulateFault((path, s) -> s.bf16());
        try (PointerScope scope = new PointerScope(); AutocastScope cast = new AutocastScope(ScalarType.BFloat16)) {
            forwardAndBackward(new UNet(UNetConfig.preset("tiny", 16, 1), 3));
        }
        EngineReport report = ConvolutionEngine.report();
        assertEquals(ConvolutionPath.DEFAULT, report.path(), report.line());
        assertTrue(report.bf16InFloat32() && report.line().contains("bf16 convolutions in fp32"), report.line());
        assertTrue(report.failures().get(0).startsWith("bf16 on default: "), report.line());
    }

    @Test
    void whenEveryPathGetsAModelShapeWrongTheForwardStopsNamingIt() {
        ConvolutionEngine.simulateFault((path, s) -> s.in() == 64 && s.out() == 32);
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 16, 1), 3);
            EngineCheckException e = assertThrows(EngineCheckException.class, () -> forwardAndBackward(model));
            for (ConvolutionPath p : ConvolutionEngine.AUTO_ORDER) {
                assertTrue(e.getMessage().contains(p.configName() + ": 64->32"), e.getMessage());
            }
            assertThrows(EngineCheckException.class, () -> forwardAndBackward(model), "and keeps stopping");
        }
    }
}
