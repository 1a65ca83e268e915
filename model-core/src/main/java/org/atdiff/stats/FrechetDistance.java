package org.atdiff.stats;

import org.atdiff.tensor.EngineThreads;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.global.torch;

/**
 * The squared Frechet distance between two Gaussians (Dowson and Landau 1982), as FID uses it on Inception
 * features (Heusel et al. 2017): d^2 = |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^{1/2}).
 * The trace of the square root is computed without a non-symmetric matrix square root: S1 S2 is similar to the
 * symmetric positive semi-definite S1^{1/2} S2 S1^{1/2}, so Tr((S1 S2)^{1/2}) = sum_i sqrt(lambda_i) over the
 * eigenvalues of that matrix, with S1^{1/2} from the symmetric eigendecomposition of S1 and eigenvalues that
 * rounding made slightly negative clamped to 0. All in float64 with libtorch's {@code linalg_eigh}.
 * Covariances are d x d row-major arrays.
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    /** d^2 between the Gaussians fitted to two sets of feature moments (unbiased covariances). */
    public static double between(FeatureMoments a, FeatureMoments b) {
        return between(a.mean(), a.covariance(), b.mean(), b.covariance());
    }

    /** d^2 between N(mu1, sigma1) and N(mu2, sigma2); may be a rounding error below 0 for identical inputs. */
    public static double between(double[] mu1, double[] sigma1, double[] mu2, double[] sigma2) {
        int d = mu1.length;
        if (d == 0 || mu2.length != d) {
            throw new IllegalArgumentException("means have lengths " + mu1.length + " and " + mu2.length);
        }
        if (sigma1.length != (long) d * d || sigma2.length != (long) d * d) {
            throw new IllegalArgumentException("covariances must be " + d + " x " + d + " = " + (long) d * d
                    + " values, have " + sigma1.length + " and " + sigma2.length);
        }
        requireFinite(mu1, "mu1");
        requireFinite(mu2, "mu2");
        requireFinite(sigma1, "sigma1");
        requireFinite(sigma2, "sigma2");

        double meanTerm = 0;
        for (int i = 0; i < d; i++) meanTerm += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
        double trace1 = 0;
        double trace2 = 0;
        for (int i = 0; i < d; i++) {
            trace1 += sigma1[i * d + i];
            trace2 += sigma2[i * d + i];
        }
        double traceRoot = EngineThreads.withBlasThreads(1, () -> traceOfRoot(sigma1, sigma2, d));
        return meanTerm + trace1 + trace2 - 2 * traceRoot;
    }

    /** Tr((S1 S2)^{1/2}) = sum sqrt(eig(S1^{1/2} S2 S1^{1/2})), S1^{1/2} = V diag(sqrt(max(w, 0))) V^T. */
    private static double traceOfRoot(double[] sigma1, double[] sigma2, int d) {
        double traceRoot = 0;
        try (PointerScope scope = new PointerScope()) {
            Tensor s1 = symmetric(HostTensors.fromDoubles(sigma1, d, d));
            Tensor s2 = symmetric(HostTensors.fromDoubles(sigma2, d, d));
            T_TensorTensor_T eig = torch.linalg_eigh(s1, "L");
            double[] w = HostTensors.toDoubles(eig.get0());
            for (int i = 0; i < d; i++) w[i] = Math.sqrt(Math.max(w[i], 0));
            Tensor v = eig.get1();
            Tensor root1 = v.mul(HostTensors.fromDoubles(w, d)).mm(v.t());
            Tensor inner = symmetric(root1.mm(s2).mm(root1));
            for (double lambda : HostTensors.toDoubles(torch.linalg_eigvalsh(inner, "L"))) {
                traceRoot += Math.sqrt(Math.max(lambda, 0));
            }
        }
        return traceRoot;
    }

    private static Tensor symmetric(Tensor m) {
        return m.add(m.t()).mul(new Scalar(0.5));
    }

    private static void requireFinite(double[] a, String name) {
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i])) throw new IllegalArgumentException(name + "[" + i + "] is " + a[i]);
        }
    }
}
