package org.atdiff.objective;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.ReverseGaussian;
import org.atdiff.diffusion.VariationalBoundTerm;
import org.atdiff.nn.DenoiserOutput;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The per-sample training loss of an epsilon-prediction model. A fixed-variance model: L_simple = mean over the
 * sample's dimensions of (eps_theta - target)^2 (Ho et al. 2020, eq. 14). A model that learns its variance: the hybrid
 * loss L_simple + lambda L_vlb of Nichol and Dhariwal 2021 (eq. 16), lambda = {@value #VLB_WEIGHT}, with the full
 * bound L_vlb = sum_t L_t estimated from the sample's own t as T L_t, i.e. L_simple + (T / 1000) L_t with L_t in bits
 * per dimension ({@link VariationalBoundTerm}) - improved-diffusion's RESCALED_MSE. Inside L_t the model's mean is
 * computed from sg(eps_theta) (stop-gradient, sec. 3.1), so the v head learns from L_vlb only and the mean from
 * L_simple only.
 */
public final class DenoisingLoss {
    /** lambda, the weight of L_vlb in the hybrid loss. */
    public static final double VLB_WEIGHT = 0.001;

    private DenoisingLoss() {}

    /**
     * @param indices      the samples' schedule indices t
     * @param out          the model's output at {@code input}
     * @param target       the noise eps_theta should predict (eps; eps + sg(delta) / sqrt(1 - abar) for free AT)
     * @param input        what the model saw (x_t, or x_t perturbed)
     * @param x0           the clean images
     * @param posteriorXt  the x_t of the posterior q(x_{t-1} | x_t, x_0) that L_t compares with
     * @return the loss of each sample, [B]
     */
    public static Tensor perSample(NoiseSchedule schedule, int[] indices, DenoiserOutput out, Tensor target, Tensor input,
                                   Tensor x0, Tensor posteriorXt) {
        Tensor simple = simple(out, target);
        if (!out.learnsVariance()) return simple;
        return simple.add(vlb(schedule, indices, out, input, x0, posteriorXt)
                .mul(new Scalar(schedule.timesteps() * VLB_WEIGHT)));
    }

    /** L_simple per sample: mean over dimensions of (eps_theta - target)^2, [B]. */
    public static Tensor simple(DenoiserOutput out, Tensor target) {
        Tensor sq = out.eps().sub(target).square();
        return sq.reshape(sq.size(0), -1).mean(1);
    }

    /**
     * L_t per sample in bits per dimension for a learned-variance output: KL(q(x_{t-1} | x_t, x0) || p_theta) for
     * t > 0 and the discretised decoder NLL at t = 0, with p_theta's mean from sg(eps_theta) at {@code input}
     * (x0^ not clipped, as in training) and its variance from v.
     */
    public static Tensor vlb(NoiseSchedule schedule, int[] indices, DenoiserOutput out, Tensor input, Tensor x0,
                             Tensor posteriorXt) {
        if (!out.learnsVariance()) throw new IllegalArgumentException("L_vlb needs a learned-variance output (v)");
        ReverseGaussian p = ReverseGaussian.of(schedule, indices, input, out.eps().detach(), out.v(), null, false);
        return VariationalBoundTerm.bitsPerDim(schedule, indices, x0, posteriorXt, p);
    }
}
