package org.atdiff.sampling;

import org.bytedeco.pytorch.Tensor;

/**
 * The model's prediction at one level of a sampling path: the noise eps_theta(x_t, t), the data x0 it implies
 * (clipped to [-1, 1] by samplers that clip) and, for a model that learns its variance, the variance output v
 * ({@link org.atdiff.diffusion.LearnedVariance}; null otherwise, and not kept for the previous level).
 */
public record Prediction(Tensor eps, Tensor x0, Tensor v) {
    /** A prediction without a variance output. */
    public Prediction(Tensor eps, Tensor x0) {
        this(eps, x0, null);
    }
}
