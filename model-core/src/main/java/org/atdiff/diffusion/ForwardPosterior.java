package org.atdiff.diffusion;

import org.bytedeco.pytorch.Tensor;

/**
 * The forward-process posterior q(x_{t-1} | x_t, x_0) = N(mu~_t(x_t, x_0), beta~_t I) of a schedule (Ho et al. 2020,
 * eqs. 6 and 7), for a batch whose row b is at schedule index t_b. Coefficients are computed in double and returned in
 * the dtype of the tensors they multiply.
 */
public final class ForwardPosterior {
    private final NoiseSchedule schedule;

    public ForwardPosterior(NoiseSchedule schedule) {
        if (schedule == null) throw new IllegalArgumentException("noise schedule is null");
        this.schedule = schedule;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    /** mu~_t = beta_t sqrt(abar_{t-1}) / (1 - abar_t) x0 + (1 - abar_{t-1}) sqrt(alpha_t) / (1 - abar_t) x_t (eq. 7). */
    public Tensor mean(int[] indices, Tensor x0, Tensor xt) {
        return x0.mul(schedule.perSample(indices, schedule::posteriorMeanCoefX0, x0))
                .add(xt.mul(schedule.perSample(indices, schedule::posteriorMeanCoefXt, xt)));
    }

    /**
     * log beta~_t per sample, shaped [B, 1, ..., 1] like {@code like}, with beta~_0 (= 0) replaced by beta~_1 as
     * improved-diffusion does ({@link NoiseSchedule#posteriorLogVarianceClipped}); the t = 0 term of the bound is the
     * decoder likelihood, which does not use it.
     */
    public Tensor logVariance(int[] indices, Tensor like) {
        return schedule.perSample(indices, schedule::posteriorLogVarianceClipped, like);
    }
}
