package org.atdiff.sampling;

/** Told after every step of a {@link ReverseProcessSampler} run. */
@FunctionalInterface
public interface SamplingProgress {
    /** Ignores every step. */
    SamplingProgress NONE = (done, total, modelTimestep) -> {};

    /**
     * @param done          steps finished, 1..total
     * @param total         the run's steps (its number of model evaluations)
     * @param modelTimestep the model timestep the finished step evaluated
     */
    void stepDone(int done, int total, double modelTimestep);
}
