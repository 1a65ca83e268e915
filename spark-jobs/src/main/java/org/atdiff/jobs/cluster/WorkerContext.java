package org.atdiff.jobs.cluster;

/**
 * Where a {@link WorkerBody} runs: its rank (the barrier task's partition id), the number of workers, the driver's
 * attempt number (1 for the first launch, 2 after the first relaunch, ...) and the group it has joined.
 */
public record WorkerContext(int rank, int worldSize, int attempt, GlooGroup group) {
    public boolean isRoot() {
        return rank == 0;
    }
}
