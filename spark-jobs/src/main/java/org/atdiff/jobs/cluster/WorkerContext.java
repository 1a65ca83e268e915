package org.atdiff.jobs.cluster;

import org.bytedeco.pytorch.Tensor;

/**
 * Where a {@link WorkerBody} runs: its rank (the barrier task's partition id), the number of workers, the driver's
 * attempt number (1 for the first launch, 2 after the first relaunch, ...) and the group it has joined.
 *
 * <p>Use {@link #allReduceMean} as the gradient sync of a training loop: besides averaging it stops the worker when
 * Spark has killed its task (job cancelled or failed elsewhere), which a loop that never leaves native code would
 * otherwise not notice.
 */
public final class WorkerContext {
    private final int rank;
    private final int worldSize;
    private final int attempt;
    private final GlooGroup group;
    private final Runnable cancellationCheck;

    /** @param cancellationCheck throws when the worker must stop (in Spark: {@code killTaskIfInterrupted}) */
    public WorkerContext(int rank, int worldSize, int attempt, GlooGroup group, Runnable cancellationCheck) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.attempt = attempt;
        this.group = group;
        this.cancellationCheck = cancellationCheck;
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return worldSize;
    }

    public int attempt() {
        return attempt;
    }

    public GlooGroup group() {
        return group;
    }

    /** Throws if Spark has killed this worker's task. */
    public void checkCancelled() {
        cancellationCheck.run();
    }

    /** {@link #checkCancelled()}, then {@link GlooGroup#allReduceMean}: {@code flat} becomes the mean over all ranks. */
    public void allReduceMean(Tensor flat) {
        checkCancelled();
        group.allReduceMean(flat);
    }

    /** {@link #checkCancelled()}, then {@link GlooGroup#allGather}: every rank's values in rank order. */
    public double[] allGather(double[] local) {
        checkCancelled();
        return group.allGather(local);
    }
}
