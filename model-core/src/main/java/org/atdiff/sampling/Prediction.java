package org.atdiff.sampling;

import org.bytedeco.pytorch.Tensor;

/**
 * The model's prediction at one level of a sampling path: the noise eps_theta(x_t, t) and the data x0 it implies
 * (clipped to [-1, 1] by samplers that clip).
 */
public record Prediction(Tensor eps, Tensor x0) {}
