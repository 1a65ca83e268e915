package org.atdiff.objective;

import java.util.OptionalDouble;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * What one objective step on a minibatch reports.
 *
 * @param loss         mean loss over the backward passes taken (the K replays for free AT)
 * @param deltaNorm    for adversarial objectives, the batch mean of the per-sample l2 norm of the perturbation used in
 *                     the last replay; empty otherwise
 * @param updates      number of {@link ParameterUpdate#apply} calls (optimizer steps) taken
 * @param timesteps    each row's schedule index t (for a loss-aware {@link TimestepSampler}; empty when not reported)
 * @param sampleLosses each row's unweighted loss, averaged over the replays (same length as timesteps)
 */
public record StepStats(double loss, OptionalDouble deltaNorm, int updates, int[] timesteps, double[] sampleLosses) {
    public StepStats {
        if (timesteps.length != sampleLosses.length) {
            throw new IllegalArgumentException(timesteps.length + " timesteps for " + sampleLosses.length + " losses");
        }
    }

    /**
     * What a DPM objective reports: with a loss-aware {@code sampler}, each row's timestep and its loss summed over
     * the step's replays divided by {@code replays} ({@code lossSums}, [B]); else no per-sample losses.
     */
    static StepStats of(double loss, OptionalDouble deltaNorm, int updates, TimestepSampler sampler, int[] timesteps,
                        Tensor lossSums, int replays) {
        if (!sampler.usesLosses()) return new StepStats(loss, deltaNorm, updates);
        double[] perRow = HostTensors.toDoubles(lossSums.detach());
        for (int b = 0; b < perRow.length; b++) perRow[b] /= replays;
        return new StepStats(loss, deltaNorm, updates, timesteps.clone(), perRow);
    }

    /** A step that reports no per-sample losses. */
    public StepStats(double loss, OptionalDouble deltaNorm, int updates) {
        this(loss, deltaNorm, updates, new int[0], new double[0]);
    }
}
