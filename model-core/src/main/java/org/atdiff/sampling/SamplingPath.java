package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;

/**
 * The noise levels a {@link ReverseProcessSampler} walks: the indices of {@code levels} from its last, T'-1, down to
 * {@code lowest}. The model is evaluated once at each of them, and the step from index i moves x to index i-1
 * (abar_{-1} = 1, the data, below index 0): DDPM and DDIM evaluate down to index 0 and land on x0; DPM-Solver ends on
 * index 0 without evaluating there (lowest = 1). The number of evaluations is T' - lowest.
 *
 * @param levels the sampler's schedule (a respaced schedule of the one the model was trained on)
 * @param lowest the lowest index evaluated: 0 or 1
 */
public record SamplingPath(NoiseSchedule levels, int lowest) {
    public SamplingPath {
        if (lowest < 0 || lowest > levels.timesteps() - 1) {
            throw new IllegalArgumentException("lowest evaluated index " + lowest + " outside [0, " + (levels.timesteps() - 1) + "]");
        }
    }

    /** The first (noisiest) index evaluated. */
    public int top() {
        return levels.timesteps() - 1;
    }

    /** The number of model evaluations. */
    public int evaluations() {
        return top() - lowest + 1;
    }

    /** The model timesteps the sampler evaluates, in order of evaluation (noisiest first). */
    public double[] modelTimesteps() {
        double[] t = new double[evaluations()];
        for (int k = 0; k < t.length; k++) t[k] = levels.modelTimestep(top() - k);
        return t;
    }
}
