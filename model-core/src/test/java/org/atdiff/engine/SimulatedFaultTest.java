package org.atdiff.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.BiPredicate;
import org.atdiff.SingleThreadedTorch;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.AutocastScope;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a CPU with a wrong oneDNN does to a run, on any CPU: the check is shown some (path, shape) pairs 30% off, and
 * the engine must leave the path in use mid-run, fall back to float32 for bf16, or stop, as it does where oneDNN is
 * wrong. The path {@code auto} starts from is this CPU's ({@code default} on Zen 4, {@code channels-last} on Zen 5,
 * where the default fails the battery). The tiny U-Net on 16x16x1 images has 64->32 convolutions in its up path,
 * which the battery does not hold.
 */
@ExtendWith(SingleThreadedTorch.class)
class SimulatedFaultTest {
    private static final BiPredicate<ConvolutionPath, ConvolutionShape> UP_PATH_SHAPE = (path, s) -> s.in() == 64 && s.out() == 32;

    @AfterEach
    void restore() {
        ConvolutionEngine.simulateFault(null);
        ConvolutionEngine.configure(ConvolutionEngine.AUTO);
    }

    /** The path {@code auto} takes on this CPU with nothing simulated. */
    private static ConvolutionPath autoPath() {
        ConvolutionEngine.simulateFault(null);
        return ConvolutionEngine.configure(ConvolutionEngine.AUTO).path();
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
    void aModelShapeThePathInUseGetsWrongMovesAutoToTheNextPathMidRun() {
        ConvolutionPath first = autoPath();
        int at = ConvolutionEngine.AUTO_ORDER.indexOf(first);
        Assumptions.assumeTrue(at + 1 < ConvolutionEngine.AUTO_ORDER.size(), "auto starts from the last path here");
        ConvolutionPath next = ConvolutionEngine.AUTO_ORDER.get(at + 1);
        float[] expected;
        try (ForcedPath forced = ForcedPath.use(next); PointerScope scope = new PointerScope()) {
            expected = forwardAndBackward(new UNet(UNetConfig.preset("tiny", 16, 1), 3));
        }
        // wrong on the path and on its shape fallback, so that the path itself must go
        ConvolutionEngine.simulateFault((path, s) ->
                (path == first || path == first.shapeFallback()) && UP_PATH_SHAPE.test(path, s));
        assertEquals(first, ConvolutionEngine.configure(ConvolutionEngine.AUTO).path(), "the battery passes");
        try (PointerScope scope = new PointerScope()) {
            float[] actual = forwardAndBackward(new UNet(UNetConfig.preset("tiny", 16, 1), 3));
            EngineReport report = ConvolutionEngine.report();
            assertEquals(next, report.path(), report.line());
            assertTrue(report.failures().get(report.failures().size() - 1).startsWith(first.configName() + ": 64->32"),
                    report.line());
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-5, "output " + i);
        }
    }

    /** Wrong on channels-last only: those shapes run as matrix products, the rest of the network stays. */
    @Test
    void aModelShapeChannelsLastGetsWrongRunsAsAMatrixProductOnTheSamePath() {
        float[] expected;
        try (ForcedPath forced = ForcedPath.use(ConvolutionPath.CHANNELS_LAST); PointerScope scope = new PointerScope()) {
            expected = forwardAndBackward(new UNet(UNetConfig.preset("tiny", 16, 1), 3));
            ConvolutionEngine.simulateFault((path, s) -> path == ConvolutionPath.CHANNELS_LAST && UP_PATH_SHAPE.test(path, s));
            float[] actual = forwardAndBackward(new UNet(UNetConfig.preset("tiny", 16, 1), 3));
            EngineReport report = ConvolutionEngine.report();
            assertEquals(ConvolutionPath.CHANNELS_LAST, report.path(), report.line());
            assertTrue(report.rerouted() >= 1 && report.line().contains(" on matrix-product)"), report.line());
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-4, "output " + i);
        }
    }

    @Test
    void aWrongNativeBf16RunsBf16ConvolutionsInFloat32OnTheSamePath() {
        ConvolutionPath first = autoPath();
        ConvolutionEngine.simulateFault((path, s) -> s.bf16());
        try (PointerScope scope = new PointerScope(); AutocastScope cast = AutocastScope.on(ScalarType.BFloat16)) {
            forwardAndBackward(new UNet(UNetConfig.preset("tiny", 16, 1), 3));
        }
        EngineReport report = ConvolutionEngine.report();
        assertEquals(first, report.path(), report.line());
        assertTrue(report.bf16InFloat32() && report.line().contains("bf16 convolutions in fp32"), report.line());
        assertTrue(report.failures().stream().anyMatch(f -> f.startsWith("bf16 on " + first.configName() + ": ")),
                report.line());
    }

    /** Each path is named once: by the model shape where it passed the battery, else by its battery failure. */
    @Test
    void whenEveryPathGetsAModelShapeWrongTheForwardStopsNamingIt() {
        int first = ConvolutionEngine.AUTO_ORDER.indexOf(autoPath());
        ConvolutionEngine.simulateFault(UP_PATH_SHAPE);
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 16, 1), 3);
            EngineCheckException e = assertThrows(EngineCheckException.class, () -> forwardAndBackward(model));
            for (int i = 0; i < ConvolutionEngine.AUTO_ORDER.size(); i++) {
                String named = ConvolutionEngine.AUTO_ORDER.get(i).configName() + ": ";
                String message = e.getMessage();
                assertEquals(message.indexOf(named), message.lastIndexOf(named), "named once: " + message);
                assertTrue(message.contains(i >= first ? named + "64->32" : named), message);
            }
            assertThrows(EngineCheckException.class, () -> forwardAndBackward(model), "and keeps stopping");
        }
    }
}
