package org.atdiff.diffusion;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * One term L_t of the variational bound of a diffusion model, per sample, in bits per dimension (Ho et al. 2020,
 * eq. 5; Nichol and Dhariwal 2021, eqs. 4-6): for t > 0 (schedule index i > 0)
 * L_{t} = KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t)), and for t = 0 the discretised decoder's negative
 * log-likelihood L_0 = -log p_theta(x_0 | x_1) on the uint8 grid ({@link DiscretizedGaussianLikelihood}). Each is
 * averaged over the dimensions of a sample and divided by ln 2, as improved-diffusion reports it.
 */
public final class VariationalBoundTerm {
    private static final double LN2 = Math.log(2.0);

    private VariationalBoundTerm() {}

    /**
     * @param x0    the data, [B, C, H, W] on the uint8 grid in [-1, 1]
     * @param xt    the x_t the posterior q(x_{t-1} | x_t, x_0) conditions on
     * @param model the model's reverse step at x_t's indices
     * @return L_t per sample in bits per dimension, [B]
     */
    public static Tensor bitsPerDim(NoiseSchedule schedule, int[] indices, Tensor x0, Tensor xt, ReverseGaussian model) {
        List<Long> first = new ArrayList<>(), later = new ArrayList<>();
        for (int b = 0; b < indices.length; b++) (indices[b] == 0 ? first : later).add((long) b);
        if (first.isEmpty()) return kl(schedule, indices, x0, xt, model);
        if (later.isEmpty()) return decoderNll(x0, model);
        Tensor firstRows = rows(first), laterRows = rows(later);
        Tensor nll = decoderNll(x0.index_select(0, firstRows), select(model, firstRows));
        Tensor kl = kl(schedule, pick(indices, later), x0.index_select(0, laterRows), xt.index_select(0, laterRows),
                select(model, laterRows));
        return kl.new_zeros(indices.length).index_copy(0, firstRows, nll).index_copy(0, laterRows, kl);
    }

    /** KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t)) per sample, bits per dimension. */
    static Tensor kl(NoiseSchedule schedule, int[] indices, Tensor x0, Tensor xt, ReverseGaussian model) {
        ForwardPosterior q = new ForwardPosterior(schedule);
        Tensor kl = GaussianKl.elementwise(q.mean(indices, x0, xt), q.logVariance(indices, xt), model.mean(),
                model.logVariance());
        return meanPerSample(kl).div(new Scalar(LN2));
    }

    /** -log p_theta(x_0 | x_1) per sample, bits per dimension, with log sigma = logVariance / 2. */
    static Tensor decoderNll(Tensor x0, ReverseGaussian model) {
        Tensor logScale = model.logVariance().mul(new Scalar(0.5));
        return meanPerSample(DiscretizedGaussianLikelihood.logProbability(x0, model.mean(), logScale))
                .neg().div(new Scalar(LN2));
    }

    /** The mean over all but the first dimension: [B, ...] -> [B]. */
    static Tensor meanPerSample(Tensor x) {
        return x.reshape(x.size(0), -1).mean(1);
    }

    private static ReverseGaussian select(ReverseGaussian p, Tensor rows) {
        return new ReverseGaussian(p.mean().index_select(0, rows), p.logVariance().index_select(0, rows));
    }

    private static Tensor rows(List<Long> rows) {
        long[] r = rows.stream().mapToLong(Long::longValue).toArray();
        return org.atdiff.tensor.HostTensors.fromLongs(r, r.length);
    }

    private static int[] pick(int[] indices, List<Long> rows) {
        int[] out = new int[rows.size()];
        for (int k = 0; k < out.length; k++) out[k] = indices[Math.toIntExact(rows.get(k))];
        return out;
    }
}
