package org.atdiff.stats;

import java.io.Serializable;

/**
 * Count, sum and sum of squares of the values of several cells, in double: each cell's mean and the standard error of
 * that mean. Partial sums merge by addition, so per-partition sums combine in any order (Spark's treeAggregate).
 */
public final class RunningMeans implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long[] count;
    private final double[] sum, squares;

    public RunningMeans(int cells) {
        if (cells < 1) throw new IllegalArgumentException("cells must be >= 1: " + cells);
        count = new long[cells];
        sum = new double[cells];
        squares = new double[cells];
    }

    /** Adds every value to {@code cell}. */
    public RunningMeans add(int cell, double... values) {
        for (double v : values) {
            count[cell]++;
            sum[cell] += v;
            squares[cell] += v * v;
        }
        return this;
    }

    /** This plus {@code other} (this object, updated). */
    public RunningMeans merge(RunningMeans other) {
        if (other.count.length != count.length) {
            throw new IllegalArgumentException("cannot merge " + other.count.length + " cells into " + count.length);
        }
        for (int i = 0; i < count.length; i++) {
            count[i] += other.count[i];
            sum[i] += other.sum[i];
            squares[i] += other.squares[i];
        }
        return this;
    }

    public long count(int cell) {
        return count[cell];
    }

    public double mean(int cell) {
        return count[cell] == 0 ? Double.NaN : sum[cell] / count[cell];
    }

    /** The standard error of the mean: the sample standard deviation over sqrt(n) (NaN below two values). */
    public double standardError(int cell) {
        long n = count[cell];
        if (n < 2) return Double.NaN;
        double m = sum[cell] / n;
        return Math.sqrt(Math.max(0, (squares[cell] - n * m * m) / (n - 1)) / n);
    }
}
