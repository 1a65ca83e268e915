package org.atdiff.diffusion;

import java.util.function.IntToDoubleFunction;
import org.bytedeco.pytorch.Tensor;

/**
 * The two fixed reverse variances of DDPM (Ho et al. 2020, sec. 3.2: sigma_t^2 = beta_t or beta~_t, the upper and
 * lower bounds on the optimal variance), as improved-diffusion names them.
 */
public enum FixedVariance {
    /** sigma_t^2 = beta~_t, with beta~_0 (= 0) replaced by beta~_1 (improved-diffusion's FIXED_SMALL). */
    SMALL {
        @Override
        double logVariance(NoiseSchedule s, int i) {
            return s.posteriorLogVarianceClipped(i);
        }
    },
    /**
     * sigma_t^2 = beta_t, with beta~_1 at t = 0 for a better decoder likelihood (improved-diffusion's FIXED_LARGE, its
     * default for a model that does not learn its variance).
     */
    LARGE {
        @Override
        double logVariance(NoiseSchedule s, int i) {
            return i == 0 && s.timesteps() > 1 ? Math.log(s.posteriorVariance(1)) : Math.log(s.beta(i));
        }
    };

    abstract double logVariance(NoiseSchedule s, int i);

    /** log sigma_t^2 per sample, shaped [B, 1, ..., 1] in {@code like}'s dtype. */
    public Tensor logVariance(NoiseSchedule schedule, int[] indices, Tensor like) {
        IntToDoubleFunction f = i -> logVariance(schedule, i);
        return schedule.perSample(indices, f, like);
    }
}
