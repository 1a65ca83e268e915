package org.atdiff.jobs.bench;

import org.atdiff.tensor.EngineThreads;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The matrix-product peak of this engine: GFLOP/s of torch.mm on two n x n matrices (2 n^3 FLOPs), median of reps.
 * fp32 products go to OpenBLAS, which runs them on libtorch's thread count here (one thread inside the network's ops,
 * see {@link EngineThreads}); bf16 products go to oneDNN on libtorch's pool.
 */
public final class MatmulPeak {
    private MatmulPeak() {}

    /** Seconds of each of {@code reps} products after one warm-up product. */
    public static double[] seconds(int n, ScalarType dtype, int reps) {
        return EngineThreads.withBlasThreads(torch.get_num_threads(), () -> time(n, dtype, reps));
    }

    private static double[] time(int n, ScalarType dtype, int reps) {
        try (PointerScope scope = new PointerScope()) {
            Tensor a = torch.randn(n, n).to(dtype), b = torch.randn(n, n).to(dtype);
            a.mm(b);
            double[] s = new double[reps];
            for (int i = 0; i < reps; i++) {
                try (PointerScope rep = new PointerScope()) {
                    long start = System.nanoTime();
                    a.mm(b);
                    s[i] = (System.nanoTime() - start) * 1e-9;
                }
            }
            return s;
        }
    }

    public static double gflops(int n, double seconds) {
        return 2.0 * n * n * n / seconds / 1e9;
    }
}
