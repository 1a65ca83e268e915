package org.atdiff.objective;

import java.util.OptionalDouble;

/**
 * What one objective step on a minibatch reports.
 *
 * @param loss      mean loss over the backward passes taken (the K replays for free AT)
 * @param deltaNorm for adversarial objectives, the batch mean of the per-sample l2 norm of the perturbation used in
 *                  the last replay; empty otherwise
 * @param updates   number of {@link ParameterUpdate#apply} calls (optimizer steps) taken
 */
public record StepStats(double loss, OptionalDouble deltaNorm, int updates) {}
