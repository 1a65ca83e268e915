package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.RespacedSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.nn.Denoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Ancestral sampling (Ho et al. 2020, Algorithm 2) on the schedule respaced to {@code nfe} trailing timesteps:
 * x_{t-1} = mu~(x_t, x0) + sqrt(beta~_t) z, with x0 predicted from eps and clipped to [-1, 1] (improved-diffusion,
 * clip_denoised=True) and the fixed small variance beta~_t = posterior variance of the respaced schedule
 * (improved-diffusion's FIXED_SMALL). The last step returns x0 without noise.
 */
public final class DdpmSampler implements Sampler {
    private final StatePerturbation perturbation;

    public DdpmSampler() {
        this(StatePerturbation.NONE);
    }

    /** @param perturbation applied to every state after x_T, before the model sees it (robustness evaluation) */
    public DdpmSampler(StatePerturbation perturbation) {
        this.perturbation = perturbation;
    }
    @Override
    public Tensor sample(Denoiser model, NoiseSchedule schedule, int nfe, Tensor xT, Tensor labels, BatchNoise noise) {
        long[] rowShape = SamplingInputs.rowShape(xT, noise);
        RespacedSchedule s = TimestepSpacing.TRAILING.respace(schedule, nfe);
        try (CarriedTensor x = new CarriedTensor(xT)) {
            for (int i = s.timesteps() - 1; i >= 0; i--) {
                try (PointerScope scope = new PointerScope()) {
                    if (i < s.timesteps() - 1) x.replace(perturbation.apply(model, s, i, x.get(), labels, noise));
                    Tensor eps = NoisePrediction.eps(model, s, i, x.get(), labels);
                    Tensor x0 = NoisePrediction.clampToData(NoisePrediction.x0(s, i, x.get(), eps));
                    if (i == 0) {
                        x.replace(x0); // abar_{-1} = 1: the posterior is a point mass at x0
                    } else {
                        // posterior mean (DDPM eq. 7) plus sqrt(beta~_t) z
                        Tensor mean = x0.mul(new Scalar(s.posteriorMeanCoefX0(i)))
                                .add(x.get().mul(new Scalar(s.posteriorMeanCoefXt(i))));
                        Tensor z = noise.normal(rowShape);
                        x.replace(mean.add(z.mul(new Scalar(Math.sqrt(s.posteriorVariance(i))))));
                    }
                }
            }
            return NoisePrediction.clampToData(x.get());
        }
    }
}
