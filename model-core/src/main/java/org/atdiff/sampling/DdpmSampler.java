package org.atdiff.sampling;

import org.atdiff.diffusion.LearnedVariance;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Ancestral sampling (Ho et al. 2020, Algorithm 2) on the schedule respaced to the nfe timesteps of a
 * {@link TimestepSpacing}, as improved-diffusion's respace.py respaces it (beta_i = 1 - abar_{t_i} / abar_{t_{i-1}}):
 * x_{t-1} = mu~(x_t, x0) + sqrt(beta~_t) z, with x0 predicted from eps and clipped to [-1, 1] (clip_denoised=True)
 * and the fixed small variance beta~_t = posterior variance of the respaced schedule (FIXED_SMALL). A model that
 * learns its variance takes its own: Sigma = exp(v' log beta_t + (1 - v') log beta~_t) with the respaced chain's
 * beta_t and beta~_t (Nichol and Dhariwal 2021, eq. 15, as improved-diffusion's respaced sampler interpolates;
 * {@link LearnedVariance}). Below the lowest kept timestep abar = 1, so the last step's posterior is the point x0: it
 * returns x0 and draws no noise (improved-diffusion adds no noise at t = 0 with either variance). nfe evaluations of
 * the model.
 */
public final class DdpmSampler extends RespacedSampler {
    public DdpmSampler(TimestepSpacing spacing) {
        this(spacing, StatePerturbation.NONE);
    }

    /** @param perturbation applied to every state after x_T, before the model sees it (robustness evaluation) */
    public DdpmSampler(TimestepSpacing spacing, StatePerturbation perturbation) {
        super(spacing, perturbation);
    }

    @Override
    Tensor step(Step s) {
        NoiseSchedule l = s.levels();
        int i = s.i();
        // posterior mean (DDPM eq. 7) plus sqrt(beta~_t) z
        Tensor mean = s.prediction().x0().mul(new Scalar(l.posteriorMeanCoefX0(i)))
                .add(s.x().mul(new Scalar(l.posteriorMeanCoefXt(i))));
        if (s.prediction().v() != null) return learnedVarianceStep(s, mean);
        double variance = l.posteriorVariance(i);
        return variance > 0 ? mean.add(s.normal().mul(new Scalar(Math.sqrt(variance)))) : mean;
    }

    /** The ancestral step with the model's learned variance: mean + exp(log Sigma / 2) z, no noise at index 0. */
    private static Tensor learnedVarianceStep(Step s, Tensor mean) {
        if (s.i() == 0) return mean;
        int[] indices = new int[Math.toIntExact(mean.size(0))];
        java.util.Arrays.fill(indices, s.i());
        Tensor logVariance = LearnedVariance.logVariance(s.levels(), indices, s.prediction().v());
        return mean.add(s.normal().mul(logVariance.mul(new Scalar(0.5)).exp()));
    }
}
