package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.pytorch.Tensor;

/**
 * A reverse-process sampler: from x_T to an image x_0, with exactly {@code nfe} evaluations of the model.
 * Implementations choose their own timesteps of {@code schedule} (the schedule the model was trained on).
 */
public interface Sampler {
    /**
     * @param model    the noise predictor (wrap it in {@link EpsilonScaling} for epsilon scaling)
     * @param schedule the schedule the model was trained on (not respaced)
     * @param nfe      number of model evaluations, in [1, T]
     * @param xT       initial noise, float [B, C, H, W]; not modified
     * @param labels   class labels, long [B], or null
     * @param noise    the per-row streams for every later noise draw (B rows)
     * @return x_0, float [B, C, H, W], clamped to [-1, 1]
     */
    Tensor sample(Denoiser model, NoiseSchedule schedule, int nfe, Tensor xT, Tensor labels, BatchNoise noise);

    /** Draws x_T of shape [B, imageShape...] from {@code noise} first, then samples. */
    default Tensor generate(Denoiser model, NoiseSchedule schedule, int nfe, Tensor labels, BatchNoise noise,
                            long... imageShape) {
        return sample(model, schedule, nfe, noise.normal(imageShape), labels, noise);
    }
}
