package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * What a denoiser predicts for x_t: the noise eps, and for a network that learns its reverse variance the raw
 * interpolation output v (Nichol and Dhariwal, "Improved Denoising Diffusion Probabilistic Models", 2021, eq. 15:
 * log Sigma = v' log beta_t + (1 - v') log beta~_t with v' = (v + 1) / 2; see
 * {@link org.atdiff.diffusion.LearnedVariance}).
 *
 * @param eps the predicted noise, shape of x_t
 * @param v   the variance interpolation, shape of x_t, or null when the model's variance is fixed
 */
public record DenoiserOutput(Tensor eps, Tensor v) {
    public DenoiserOutput {
        if (eps == null) throw new IllegalArgumentException("a denoiser output needs eps");
    }

    /** The output of a fixed-variance model: eps only. */
    public static DenoiserOutput fixedVariance(Tensor eps) {
        return new DenoiserOutput(eps, null);
    }

    /** Whether the model predicted v (learned variance). */
    public boolean learnsVariance() {
        return v != null;
    }
}
