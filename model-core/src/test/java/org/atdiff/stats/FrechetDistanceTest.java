package org.atdiff.stats;

import static org.junit.jupiter.api.Assertions.*;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.atdiff.io.Npz;
import org.atdiff.io.NpyArray;
import org.atdiff.io.PythonReference;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrechetDistanceTest {
    @Test
    void oneDimensionalClosedForm() {
        // d^2 = (m1 - m2)^2 + s1 + s2 - 2 sqrt(s1 s2)
        double d2 = FrechetDistance.between(new double[] {1.5}, new double[] {4.0}, new double[] {-0.5},
                new double[] {9.0});
        assertEquals(4.0 + 4 + 9 - 2 * 6, d2, 1e-12);
    }

    @Test
    void diagonalCovariancesGiveSumOfSquaredRootDifferences() {
        double[] a = {1, 4, 0.25, 0};
        double[] b = {9, 1, 0.25, 2};
        double want = 0;
        for (int i = 0; i < 4; i++) want += Math.pow(Math.sqrt(a[i]) - Math.sqrt(b[i]), 2);
        double[] mu = new double[4];
        assertEquals(want, FrechetDistance.between(mu, diag(a), mu, diag(b)), 1e-12);
    }

    @Test
    void nonCommutingTwoByTwoClosedForm() {
        // for a 2x2 matrix M with non-negative eigenvalues, Tr(M^{1/2}) = sqrt(Tr M + 2 sqrt(det M))
        double[] s1 = {2.0, 0.7, 0.7, 1.0};
        double[] s2 = {0.5, -0.3, -0.3, 3.0};
        double[] m = {s1[0] * s2[0] + s1[1] * s2[2], s1[0] * s2[1] + s1[1] * s2[3],
            s1[2] * s2[0] + s1[3] * s2[2], s1[2] * s2[1] + s1[3] * s2[3]};
        double traceRoot = Math.sqrt(m[0] + m[3] + 2 * Math.sqrt(m[0] * m[3] - m[1] * m[2]));
        double[] mu1 = {0.3, -1};
        double[] mu2 = {1.3, 1};
        double want = 1 + 4 + (2.0 + 1.0) + (0.5 + 3.0) - 2 * traceRoot;
        assertEquals(want, FrechetDistance.between(mu1, s1, mu2, s2), 1e-12);
        assertEquals(want, FrechetDistance.between(mu2, s2, mu1, s1), 1e-12, "symmetric in its arguments");
    }

    @Test
    void momentsOverloadUsesMeansAndUnbiasedCovariances() {
        FeatureMoments a = gaussianFeatures(40, 5, 1.0, 2.0, 8);
        FeatureMoments b = gaussianFeatures(30, 5, 0.5, 1.0, 9);
        assertEquals(FrechetDistance.between(a.mean(), a.covariance(), b.mean(), b.covariance()),
                FrechetDistance.between(a, b));
        assertEquals(0, FrechetDistance.between(a, a), 1e-10);
    }

    @Test
    void rejectsMalformedInput() {
        double[] mu = {0, 0};
        double[] s = {1, 0, 0, 1};
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(mu, s, new double[3], s));
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(mu, s, mu, new double[3]));
        assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.between(mu, new double[] {1, 0, 0, Double.NaN}, mu, s));
    }

    private static double[] diag(double[] v) {
        double[] m = new double[v.length * v.length];
        for (int i = 0; i < v.length; i++) m[i * v.length + i] = v[i];
        return m;
    }

    /** Moments of n samples x = z A + shift with z standard normal and A = I + scale G / sqrt(d) a random mixing. */
    private static FeatureMoments gaussianFeatures(int n, int d, double scale, double shift, long seed) {
        try (PointerScope scope = new PointerScope()) {
            RandomStream r = new RandomStream(seed);
            Tensor mixing = torch.eye(d).add(r.normal(d, d).mul(new Scalar(scale / Math.sqrt(d))));
            Tensor x = r.normal(n, d).mm(mixing).add(r.normal(d).mul(new Scalar(shift)));
            return new FeatureMoments(d).add(x);
        }
    }

    private static Path saveStats(FeatureMoments m, Path file) throws Exception {
        LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
        arrays.put("mu", NpyArray.float64(m.mean(), m.dimension()));
        arrays.put("sigma", NpyArray.float64(m.covariance(), m.dimension(), m.dimension()));
        Npz.write(file, arrays);
        return file;
    }

    private static String referenceScript() throws Exception {
        try (InputStream in = FrechetDistanceTest.class.getResourceAsStream("frechet_reference.py")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static double reference(Path a, Path b) throws Exception {
        return Double.parseDouble(PythonReference.run(referenceScript(), a.toString(), b.toString()).strip());
    }

    private static double java(Path a, Path b) throws Exception {
        LinkedHashMap<String, NpyArray> x = Npz.read(a);
        LinkedHashMap<String, NpyArray> y = Npz.read(b);
        return FrechetDistance.between(x.get("mu").data(), x.get("sigma").data(), y.get("mu").data(),
                y.get("sigma").data());
    }

    @Test
    void agreesWithScipySqrtmOnFullRankCovariances(@TempDir Path dir) throws Exception {
        PythonReference.assumeModules("numpy", "scipy");
        Path a = saveStats(gaussianFeatures(4096, 2048, 1.0, 0.3, 1), dir.resolve("a.npz"));
        Path b = saveStats(gaussianFeatures(4096, 2048, 1.5, 0.3, 2), dir.resolve("b.npz"));
        double want = reference(a, b);
        double got = java(a, b);
        assertTrue(want > 100, "sanity: the two feature sets differ, d^2 = " + want);
        assertEquals(want, got, 1e-6 * want, "full rank: java " + got + " vs scipy " + want);
    }

    @Test
    void agreesWithScipySqrtmOnRankDeficientCovariances(@TempDir Path dir) throws Exception {
        PythonReference.assumeModules("numpy", "scipy");
        // 500 samples of 2048 features: covariances of rank 499
        Path a = saveStats(gaussianFeatures(500, 2048, 1.0, 0.3, 3), dir.resolve("a.npz"));
        Path b = saveStats(gaussianFeatures(500, 2048, 1.5, 0.3, 4), dir.resolve("b.npz"));
        double want = reference(a, b);
        double got = java(a, b);
        assertEquals(want, got, 1e-6 * want, "rank deficient: java " + got + " vs scipy " + want);
    }

    @Test
    void identicalInputsGiveZeroLikeScipy(@TempDir Path dir) throws Exception {
        PythonReference.assumeModules("numpy", "scipy");
        FeatureMoments m = gaussianFeatures(4096, 2048, 1.0, 0.3, 5);
        Path a = saveStats(m, dir.resolve("a.npz"));
        double scale = 0;
        double[] cov = m.covariance();
        for (int i = 0; i < m.dimension(); i++) scale += 2 * cov[i * m.dimension() + i];
        double got = java(a, a);
        assertEquals(0, got, 1e-9 * scale, "identical: " + got + " against Tr(S1) + Tr(S2) = " + scale);
        double want = reference(a, a);
        assertEquals(want, got, 1e-6 * scale, "identical: java " + got + " vs scipy " + want);
    }
}
