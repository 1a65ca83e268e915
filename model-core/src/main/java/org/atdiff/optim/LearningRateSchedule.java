package org.atdiff.optim;

/**
 * Linear warm-up from baseLr / warmupSteps to baseLr over the first warmupSteps steps, then constant
 * (the warm-up of Ho et al. 2020, appendix B, and of improved-diffusion's training loop).
 */
public final class LearningRateSchedule {
    private final double baseLr;
    private final long warmupSteps;

    public LearningRateSchedule(double baseLr, long warmupSteps) {
        if (!(baseLr > 0) || Double.isInfinite(baseLr)) throw new IllegalArgumentException("lr must be > 0: " + baseLr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup-steps must be >= 0: " + warmupSteps);
        this.baseLr = baseLr;
        this.warmupSteps = warmupSteps;
    }

    /** The learning rate for the step with 0-based index {@code step}: baseLr * min(1, (step + 1) / warmupSteps). */
    public double at(long step) {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0: " + step);
        if (step >= warmupSteps) return baseLr;
        return baseLr * (step + 1) / warmupSteps;
    }

    public double baseLr() {
        return baseLr;
    }
}
