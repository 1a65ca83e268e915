package org.atdiff.train;

import org.bytedeco.pytorch.Tensor;

/**
 * The collectives of data-parallel training. Averages a flat gradient buffer across workers in place (an all-reduce
 * followed by division by the world size); the buffer is a contiguous float tensor holding every parameter's gradient
 * followed by the local loss (see {@link FlatGradients}), so all workers also agree on the loss they check for
 * finiteness. Gathers the per-sample (t, loss) pairs a loss-aware timestep sampler learns from.
 */
@FunctionalInterface
public interface GradientSync {
    /** A single process: nothing to average. */
    GradientSync LOCAL = flat -> {};

    void allReduceMean(Tensor flat);

    /**
     * Every worker's {@code local} values, concatenated in rank order; every worker passes the same number of values.
     * A single process returns its own.
     */
    default double[] allGather(double[] local) {
        return local.clone();
    }

    /** Number of workers whose gradients are averaged (for throughput metrics). */
    default int worldSize() {
        return 1;
    }
}
