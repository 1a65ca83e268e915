package org.atdiff.engine;

import org.junit.jupiter.api.Assumptions;

/**
 * Forces {@code engine.conv-path} for a block of a test, then goes back to {@code auto}:
 * {@code try (ForcedPath p = ForcedPath.use(path)) { ... }}. A path this process cannot run (the ISA cap without its
 * variable) or that the self-check finds wrong on this CPU skips the test, naming why: on such a CPU {@code auto}
 * never uses it, and the tests of the paths it does use run.
 */
public final class ForcedPath implements AutoCloseable {
    private ForcedPath() {}

    public static ForcedPath use(ConvolutionPath path) {
        Assumptions.assumeTrue(path.unavailableReason() == null, path::unavailableReason);
        // The ISA-capped JVM (model-core's second surefire run) is there for onednn-avx; the others ran uncapped.
        Assumptions.assumeTrue(!ConvolutionPath.isaCapped() || path == ConvolutionPath.ONEDNN_AVX,
                "this JVM runs with oneDNN capped to AVX for the onednn-avx path; " + path.configName() + " ran in the uncapped one");
        try {
            ConvolutionEngine.configure(path.configName());
        } catch (EngineCheckException e) {
            ConvolutionEngine.configure(ConvolutionEngine.AUTO);
            Assumptions.abort(path.configName() + " is wrong on this CPU: " + e.getMessage());
        }
        return new ForcedPath();
    }

    /**
     * Runs bf16 convolutions in float32 (the fallback taken when native bf16 fails the check, as on Zen 5) until the
     * returned scope closes.
     */
    public static AutoCloseable bf16InFloat32() {
        ConvolutionEngine.bf16InFloat32(true);
        return () -> ConvolutionEngine.bf16InFloat32(false);
    }

    /**
     * Until the returned scope closes, the check sees every convolution on {@code path} 30% off (the convolutions
     * themselves stay right), as on a CPU where that path is wrong; then {@code auto} is chosen again.
     */
    public static AutoCloseable simulatedFault(ConvolutionPath path) {
        ConvolutionEngine.simulateFault((p, shape) -> p == path);
        return () -> {
            ConvolutionEngine.simulateFault(null);
            ConvolutionEngine.configure(ConvolutionEngine.AUTO);
        };
    }

    @Override
    public void close() {
        ConvolutionEngine.configure(ConvolutionEngine.AUTO);
    }
}
