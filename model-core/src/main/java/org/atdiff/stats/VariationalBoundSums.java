package org.atdiff.stats;

import java.io.Serializable;
import org.atdiff.diffusion.VariationalBound;

/**
 * Running sums of images' variational bounds in bits per dimension ({@link VariationalBound.Terms}): the count, the
 * sum and sum of squares of each image's total, the prior term and each timestep's term, in double. Partial sums merge
 * by addition, so per-partition sums combine in any order (Spark's treeAggregate).
 */
public final class VariationalBoundSums implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int timesteps;
    private long count;
    private double total, totalSquares, prior;
    private final double[] terms;

    public VariationalBoundSums(int timesteps) {
        if (timesteps < 1) throw new IllegalArgumentException("timesteps must be >= 1: " + timesteps);
        this.timesteps = timesteps;
        this.terms = new double[timesteps];
    }

    /** Adds every image of a batch. */
    public VariationalBoundSums add(VariationalBound.Terms batch) {
        for (int b = 0; b < batch.rows(); b++) {
            if (batch.terms()[b].length != timesteps) {
                throw new IllegalArgumentException("an image has " + batch.terms()[b].length + " terms, expected " + timesteps);
            }
            double t = batch.total(b);
            count++;
            total += t;
            totalSquares += t * t;
            prior += batch.prior()[b];
            for (int i = 0; i < timesteps; i++) terms[i] += batch.terms()[b][i];
        }
        return this;
    }

    /** This plus {@code other} (this object, updated). */
    public VariationalBoundSums merge(VariationalBoundSums other) {
        if (other.timesteps != timesteps) {
            throw new IllegalArgumentException("cannot merge sums over " + other.timesteps + " and " + timesteps + " timesteps");
        }
        count += other.count;
        total += other.total;
        totalSquares += other.totalSquares;
        prior += other.prior;
        for (int i = 0; i < timesteps; i++) terms[i] += other.terms[i];
        return this;
    }

    public long count() {
        return count;
    }

    /** The mean bound over the images: the negative log-likelihood bound in bits per dimension. */
    public double bitsPerDim() {
        return total / count;
    }

    /** The standard error of {@link #bitsPerDim()} over images (NaN for fewer than two). */
    public double standardError() {
        if (count < 2) return Double.NaN;
        double mean = bitsPerDim();
        double variance = Math.max(0, (totalSquares - count * mean * mean) / (count - 1));
        return Math.sqrt(variance / count);
    }

    /** The mean prior term L_prior. */
    public double priorBitsPerDim() {
        return prior / count;
    }

    /** The mean of each term L_i, i = 0..T-1 (L_0 is the decoder term). */
    public double[] termBitsPerDim() {
        double[] m = new double[timesteps];
        for (int i = 0; i < timesteps; i++) m[i] = terms[i] / count;
        return m;
    }
}
