package org.atdiff.diffusion;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * A model's reverse step p_theta(x_{t-1} | x_t) = N(mean, exp(logVariance)) for a batch at schedule indices t_b.
 *
 * @param mean        mu_theta, the shape of x_t
 * @param logVariance log Sigma_theta, the shape of x_t (learned) or [B, 1, ..., 1] (fixed)
 */
public record ReverseGaussian(Tensor mean, Tensor logVariance) {
    /**
     * The reverse step of an epsilon-prediction model: mu_theta = mu~_t(x_t, x0^) with
     * x0^ = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t) (Ho et al. 2020, eq. 4 solved for x0, then eq. 7; the same as
     * their eq. 11), x0^ clipped to [-1, 1] when {@code clipX0}; the variance learned from v
     * ({@link LearnedVariance}) or, when v is null, the {@code fixed} choice.
     *
     * @param eps   predicted noise (detach it for the stop-gradient of the hybrid loss)
     * @param v     the network's variance output, or null for a fixed-variance model
     * @param fixed the variance of a model without v (unused when v is given)
     */
    public static ReverseGaussian of(NoiseSchedule schedule, int[] indices, Tensor xt, Tensor eps, Tensor v,
                                     FixedVariance fixed, boolean clipX0) {
        Tensor x0 = xt.sub(eps.mul(schedule.perSample(indices, schedule::sqrtOneMinusAlphaBar, xt)))
                .div(schedule.perSample(indices, schedule::sqrtAlphaBar, xt));
        if (clipX0) x0 = x0.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
        Tensor mean = new ForwardPosterior(schedule).mean(indices, x0, xt);
        Tensor logVariance = v != null ? LearnedVariance.logVariance(schedule, indices, v)
                : fixed.logVariance(schedule, indices, xt);
        return new ReverseGaussian(mean, logVariance);
    }
}
