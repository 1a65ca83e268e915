package org.atdiff.train;

import org.bytedeco.pytorch.Tensor;

/**
 * Averages a flat gradient buffer across data-parallel workers in place (an all-reduce followed by division by the
 * world size). The buffer is a contiguous float tensor holding every parameter's gradient followed by the local loss
 * (see {@link FlatGradients}), so all workers also agree on the loss they check for finiteness.
 */
@FunctionalInterface
public interface GradientSync {
    /** A single process: nothing to average. */
    GradientSync LOCAL = flat -> {};

    void allReduceMean(Tensor flat);

    /** Number of workers whose gradients are averaged (for throughput metrics). */
    default int worldSize() {
        return 1;
    }
}
