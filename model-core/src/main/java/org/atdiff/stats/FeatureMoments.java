package org.atdiff.stats;

import java.io.Serializable;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Count, mean and co-moment matrix {@code M2 = sum_i (x_i - mean)(x_i - mean)^T} of d-dimensional feature vectors,
 * accumulated in double precision. Batches and partial results combine with the pairwise update of Chan, Golub and
 * LeVeque ("Updating formulae and a pairwise algorithm for computing sample variances", 1979), which stays accurate
 * when the features share a large offset. Serializable, so Spark can aggregate per-partition moments.
 */
public final class FeatureMoments implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int dimension;
    private long count;
    private final double[] mean;
    private final double[] m2; // d x d, row-major

    public FeatureMoments(int dimension) {
        if (dimension <= 0) throw new IllegalArgumentException("feature dimension must be positive: " + dimension);
        this.dimension = dimension;
        this.mean = new double[dimension];
        this.m2 = new double[Math.multiplyExact(dimension, dimension)];
    }

    public int dimension() {
        return dimension;
    }

    public long count() {
        return count;
    }

    /** The mean feature vector (a copy). */
    public double[] mean() {
        return mean.clone();
    }

    /** The co-moment matrix M2, d x d row-major (a copy). */
    public double[] comoment() {
        return m2.clone();
    }

    /** Adds the rows of {@code features} ([n, d], any floating dtype); the batch co-moment is one double matmul. */
    public FeatureMoments add(Tensor features) {
        long[] shape = HostTensors.shape(features);
        if (shape.length != 2 || shape[1] != dimension) {
            throw new IllegalArgumentException("features must have shape [n, " + dimension + "], got "
                    + java.util.Arrays.toString(shape));
        }
        if (shape[0] == 0) return this;
        try (PointerScope scope = new PointerScope()) {
            Tensor x = features.to(ScalarType.Double);
            Tensor batchMean = x.mean(0);
            Tensor centered = x.sub(batchMean);
            Tensor batchM2 = centered.t().mm(centered); // sum_i (x_i - m)(x_i - m)^T
            combine(shape[0], HostTensors.toDoubles(batchMean), HostTensors.toDoubles(batchM2));
        }
        return this;
    }

    /** Adds feature vectors given as rows. */
    public FeatureMoments add(float[][] rows) {
        if (rows.length == 0) return this;
        float[] flat = new float[Math.multiplyExact(rows.length, dimension)];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != dimension) {
                throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " features, expected "
                        + dimension);
            }
            System.arraycopy(rows[i], 0, flat, i * dimension, dimension);
        }
        try (PointerScope scope = new PointerScope()) {
            return add(HostTensors.fromFloats(flat, rows.length, dimension));
        }
    }

    /** Folds {@code other} into this one (Chan, Golub and LeVeque 1979); returns this. */
    public FeatureMoments merge(FeatureMoments other) {
        if (other.dimension != dimension) {
            throw new IllegalArgumentException("cannot merge moments of dimension " + other.dimension + " into "
                    + dimension);
        }
        if (other.count > 0) combine(other.count, other.mean, other.m2);
        return this;
    }

    /**
     * Chan et al. (1979), eq. 2.1 in matrix form: with delta = mean_b - mean_a and n = n_a + n_b,
     * mean = mean_a + delta n_b / n and M2 = M2_a + M2_b + delta delta^T n_a n_b / n.
     */
    private void combine(long nb, double[] meanB, double[] m2B) {
        long na = count;
        long n = na + nb;
        double[] delta = new double[dimension];
        for (int j = 0; j < dimension; j++) delta[j] = meanB[j] - mean[j];
        double w = (double) na * nb / n;
        for (int r = 0; r < dimension; r++) {
            double dr = delta[r] * w;
            int row = r * dimension;
            for (int c = 0; c < dimension; c++) m2[row + c] += m2B[row + c] + dr * delta[c];
        }
        double f = (double) nb / n;
        for (int j = 0; j < dimension; j++) mean[j] += delta[j] * f;
        count = n;
    }

    /** The unbiased sample covariance M2 / (n - 1), d x d row-major, as numpy.cov and pytorch-fid compute it. */
    public double[] covariance() {
        if (count < 2) throw new IllegalStateException("covariance needs at least 2 feature vectors, have " + count);
        double[] cov = new double[m2.length];
        double s = 1.0 / (count - 1);
        for (int i = 0; i < cov.length; i++) cov[i] = m2[i] * s;
        return cov;
    }
}
