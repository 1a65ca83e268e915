package org.atdiff.train;

/** Called after every completed training step, e.g. to log metrics or write a checkpoint. */
@FunctionalInterface
public interface StepListener {
    void onStep(StepMetrics metrics, TrainingLoop loop);
}
