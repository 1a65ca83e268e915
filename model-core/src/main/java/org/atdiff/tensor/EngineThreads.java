package org.atdiff.tensor;

import java.util.function.Supplier;
import org.bytedeco.openblas.presets.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;

/**
 * The native engine's two thread pools: libtorch's intra-op pool (OpenMP) and the pthread pool of the OpenBLAS that
 * libtorch calls for fp32 matrix products and LAPACK. libtorch parallelises each op over its own pool, so OpenBLAS
 * runs on one thread inside it: with OpenBLAS's default pool beside it, both pools compete for the same cores and
 * OpenBLAS's workers spin after every small product. Measured on 2 cores (docs/performance.md, "OpenBLAS threads"):
 * a batch-64 forward of the {@code small} U-Net took 2.1 s with 2 torch threads and OpenBLAS's default pool, the
 * same as with 1 thread, and 1.1 s with OpenBLAS on one thread.
 */
public final class EngineThreads {
    private EngineThreads() {}

    /** libtorch's intra-op pool gets {@code threads} threads, OpenBLAS one. Call it on the thread that runs the ops. */
    public static void use(int threads) {
        if (threads < 1) throw new IllegalArgumentException("engine threads must be >= 1 but is " + threads);
        torch.set_num_threads(threads);
        openblas_nolapack.blas_set_num_threads(1);
    }

    /**
     * Runs {@code work} with OpenBLAS on {@code threads} threads, then restores the previous count: for one large
     * product or LAPACK call made outside libtorch's parallel ops (a matrix-product peak, an eigensolver).
     */
    public static synchronized <T> T withBlasThreads(int threads, Supplier<T> work) {
        if (threads < 1) throw new IllegalArgumentException("BLAS threads must be >= 1 but is " + threads);
        int before = openblas_nolapack.blas_get_num_threads(); // -1 until someone sets it
        openblas_nolapack.blas_set_num_threads(threads);
        try {
            return work.get();
        } finally {
            openblas_nolapack.blas_set_num_threads(before > 0 ? before : defaultBlasThreads());
        }
    }

    /**
     * The rule of {@code engine.threads}: a positive setting is the thread count, 0 means the {@code cores} the process
     * or task was given (at least 1).
     */
    public static int resolve(int configured, int cores) {
        if (configured < 0) throw new IllegalArgumentException("engine.threads must be >= 0 but is " + configured);
        return configured > 0 ? configured : Math.max(1, cores);
    }

    /** OpenBLAS's default: OPENBLAS_NUM_THREADS, else GOTO_NUM_THREADS, else OMP_NUM_THREADS, else all cores. */
    private static int defaultBlasThreads() {
        for (String var : new String[] {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"}) {
            try {
                int n = Integer.parseInt(System.getenv().getOrDefault(var, "").strip());
                if (n > 0) return n;
            } catch (NumberFormatException e) {
                // unset or not a number: try the next one
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }
}
