package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * An epsilon-prediction network eps_theta(x_t, t): the one thing samplers and training objectives call.
 * Implemented by the U-Net, by closed-form denoisers in tests, and by wrappers such as epsilon scaling.
 */
public interface Denoiser {
    /**
     * @param x      noisy images x_t, shape [B, C, H, W]
     * @param t      timesteps on the model's original scale 0..T-1, float tensor of shape [B] (may be fractional)
     * @param labels class labels, long tensor of shape [B], or null when unconditional
     * @return predicted noise eps, same shape as x
     */
    Tensor predictNoise(Tensor x, Tensor t, Tensor labels);

    /**
     * eps and, for a network that learns its reverse variance, v (same arguments as {@link #predictNoise}). The
     * default is a fixed-variance model: {@code predictNoise} alone. A learned-variance network's
     * {@link #predictNoise} is the eps half of this output, so every sampler works with it unchanged.
     */
    default DenoiserOutput predict(Tensor x, Tensor t, Tensor labels) {
        return DenoiserOutput.fixedVariance(predictNoise(x, t, labels));
    }
}
