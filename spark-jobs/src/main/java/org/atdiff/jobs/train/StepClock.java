package org.atdiff.jobs.train;

/**
 * The time left of a training run, from the mean duration of the steps since this clock started (at step
 * {@code startStep}, the last step done before): ETA = elapsed / (step - startStep) x (total - step).
 */
public final class StepClock {
    private final long startNanos = System.nanoTime();
    private final long startStep;

    public StepClock(long startStep) {
        this.startStep = startStep;
    }

    /** Seconds left after {@code step} of {@code total} steps. */
    public double secondsLeft(long step, long total) {
        return (System.nanoTime() - startNanos) * 1e-9 / (step - startStep) * (total - step);
    }
}
