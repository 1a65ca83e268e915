package org.atdiff.train;

/** Training stopped because the loss (or the gradient norm) became NaN or infinite; the update was not applied. */
public final class NonFiniteLossException extends IllegalStateException {
    private final long step;

    public NonFiniteLossException(long step, String what, double value) {
        super("training step " + step + ": " + what + " is " + value + " (not finite); the update was not applied");
        this.step = step;
    }

    /** The 1-based number of the step that failed, as in the metrics. */
    public long step() {
        return step;
    }
}
