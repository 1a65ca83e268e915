package org.atdiff.stats;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

class FeatureMomentsTest {
    /** n rows of d features: a common offset, a per-feature shift, and correlated noise. */
    static float[][] features(int n, int d, double offset, long seed) {
        Random rng = new Random(seed);
        double[] shift = new double[d];
        for (int j = 0; j < d; j++) shift[j] = rng.nextGaussian() * 3;
        float[][] x = new float[n][d];
        for (int i = 0; i < n; i++) {
            double common = rng.nextGaussian();
            for (int j = 0; j < d; j++) x[i][j] = (float) (offset + shift[j] + common * (j % 3) + rng.nextGaussian());
        }
        return x;
    }

    private static float[][] rows(float[][] x, int from, int to) {
        return java.util.Arrays.copyOfRange(x, from, to);
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static void assertClose(double[] want, double[] got, double rel, String what) {
        assertEquals(want.length, got.length);
        double scale = maxAbs(want);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], rel * scale, what + "[" + i + "]");
        }
    }

    @Test
    void mergedPartsEqualOnePassDespiteALargeOffset() {
        try (PointerScope scope = new PointerScope()) {
            int d = 16;
            float[][] x = features(500, d, 1e4, 1);
            FeatureMoments whole = new FeatureMoments(d).add(x);

            // uneven parts, one empty, added batch by batch and merged in a tree as Spark would
            FeatureMoments a = new FeatureMoments(d).add(rows(x, 0, 1)).add(rows(x, 1, 37));
            FeatureMoments b = new FeatureMoments(d).add(rows(x, 37, 237));
            FeatureMoments c = new FeatureMoments(d).add(HostTensors.fromFloats(flatten(rows(x, 237, 500)), 263, d));
            FeatureMoments empty = new FeatureMoments(d);
            FeatureMoments merged = new FeatureMoments(d).merge(empty).merge(a.merge(b)).merge(c.merge(empty));

            assertEquals(500, merged.count());
            assertClose(whole.mean(), merged.mean(), 1e-14, "mean");
            assertClose(whole.comoment(), merged.comoment(), 1e-10, "M2");
            // and the covariance is the one of the data without the offset (accuracy, not just agreement)
            double[] cov = covariance(x);
            assertClose(cov, merged.covariance(), 1e-10, "covariance");
            assertTrue(cov[0] > 0.5, "sanity: unit noise on the diagonal " + cov[0]);
        }
    }

    private static float[] flatten(float[][] x) {
        float[] f = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) System.arraycopy(x[i], 0, f, i * x[0].length, x[0].length);
        return f;
    }

    /** Two-pass textbook covariance with denominator n - 1. */
    private static double[] covariance(float[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        for (float[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        double[] cov = new double[d * d];
        for (float[] row : x) {
            for (int r = 0; r < d; r++) {
                for (int c = 0; c < d; c++) cov[r * d + c] += (row[r] - mean[r]) * (row[c] - mean[c]);
            }
        }
        for (int i = 0; i < cov.length; i++) cov[i] /= n - 1;
        return cov;
    }

    @Test
    void covarianceEqualsADirectComputation() {
        try (PointerScope scope = new PointerScope()) {
            float[][] x = features(50, 7, 0, 2);
            FeatureMoments m = new FeatureMoments(7).add(x);
            assertClose(covariance(x), m.covariance(), 1e-13, "covariance");
            double[] mean = new double[7];
            for (float[] row : x) for (int j = 0; j < 7; j++) mean[j] += row[j] / 50.0;
            assertClose(mean, m.mean(), 1e-13, "mean");
        }
    }

    @Test
    void survivesJavaSerialization() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            FeatureMoments m = new FeatureMoments(5).add(features(20, 5, 1, 3));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(m);
            }
            FeatureMoments back;
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                back = (FeatureMoments) in.readObject();
            }
            assertEquals(20, back.count());
            assertArrayEquals(m.mean(), back.mean());
            assertArrayEquals(m.comoment(), back.comoment());
        }
    }

    @Test
    void rejectsMismatchedInput() {
        try (PointerScope scope = new PointerScope()) {
            FeatureMoments m = new FeatureMoments(4);
            assertThrows(IllegalArgumentException.class, () -> m.add(new float[][] {{1, 2, 3}}));
            assertThrows(IllegalArgumentException.class, () -> m.add(HostTensors.fromFloats(new float[6], 2, 3)));
            assertThrows(IllegalArgumentException.class, () -> m.merge(new FeatureMoments(3)));
            m.add(new float[][] {{1, 2, 3, 4}});
            assertThrows(IllegalStateException.class, m::covariance);
        }
    }
}
