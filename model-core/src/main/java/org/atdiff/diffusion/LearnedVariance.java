package org.atdiff.diffusion;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The learned reverse variance of Nichol and Dhariwal, "Improved Denoising Diffusion Probabilistic Models" (2021),
 * eq. 15: Sigma_theta(x_t, t) = exp(v' log beta_t + (1 - v') log beta~_t), an interpolation in the log domain between
 * the two fixed choices, with the network's raw output v mapped from [-1, 1] to v' = (v + 1) / 2 in [0, 1] (not
 * clamped: improved-diffusion's LEARNED_RANGE). log beta~_0 is taken as log beta~_1
 * ({@link NoiseSchedule#posteriorLogVarianceClipped}). On a respaced schedule beta and beta~ are the respaced ones.
 */
public final class LearnedVariance {
    private LearnedVariance() {}

    /**
     * @param v raw variance output of the network, [B, C, H, W]
     * @return log Sigma_theta, v's shape
     */
    public static Tensor logVariance(NoiseSchedule schedule, int[] indices, Tensor v) {
        Tensor maxLog = schedule.perSample(indices, i -> Math.log(schedule.beta(i)), v);
        Tensor minLog = schedule.perSample(indices, schedule::posteriorLogVarianceClipped, v);
        Tensor frac = v.add(new Scalar(1.0)).mul(new Scalar(0.5)); // v' = (v + 1) / 2
        return frac.mul(maxLog.sub(minLog)).add(minLog); // v' log beta + (1 - v') log beta~
    }
}
