package org.atdiff.diffusion;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The log-likelihood of 8-bit images under a Gaussian decoder discretised to the uint8 grid (Ho et al. 2020, eq. 13):
 * pixel values k = 0..255 sit at x = k / 127.5 - 1 in [-1, 1], each owning the bin [x - 1/255, x + 1/255], and the
 * end bins stretch to -infinity (x = -1) and +infinity (x = 1). p(x | mu, sigma) = Phi((x + 1/255 - mu) / sigma) -
 * Phi((x - 1/255 - mu) / sigma) with the standard normal CDF Phi, in nats.
 *
 * <p>Computed exactly (log Phi by {@code special_log_ndtr}, and a bin's mass as log Phi(hi) + log(1 - Phi(lo) / Phi(hi))
 * on the side of the bin nearer to the tail, so that no difference of two CDFs near 1 cancels), where
 * improved-diffusion uses a tanh approximation of Phi. As there, a bin's probability is floored at 1e-12 (its log at
 * -27.6), so that a decoder far from the data costs a bounded loss.
 */
public final class DiscretizedGaussianLikelihood {
    /** Half the width of a pixel's bin on the [-1, 1] scale: 1 / 255. */
    public static final double HALF_BIN = 1.0 / 255.0;
    /** Pixels beyond +-0.999 are the end bins (improved-diffusion's threshold, between the last two grid values). */
    static final double EDGE = 0.999;
    /** The floor of a bin's probability. */
    static final double MIN_PROBABILITY = 1e-12;

    private DiscretizedGaussianLikelihood() {}

    /**
     * @param x        images on the uint8 grid rescaled to [-1, 1]
     * @param mean     the decoder's mean, x's shape
     * @param logScale the decoder's log standard deviation log sigma, broadcastable to x
     * @return log p(x) per element, in nats
     */
    public static Tensor logProbability(Tensor x, Tensor mean, Tensor logScale) {
        Tensor inverseScale = logScale.neg().exp();
        Tensor centred = x.sub(mean);
        Tensor upper = centred.add(new Scalar(HALF_BIN)).mul(inverseScale); // (x + 1/255 - mu) / sigma
        Tensor lower = centred.sub(new Scalar(HALF_BIN)).mul(inverseScale); // (x - 1/255 - mu) / sigma
        Tensor belowUpper = torch.special_log_ndtr(upper); // log Phi(upper): the first bin's mass
        Tensor aboveLower = torch.special_log_ndtr(lower.neg()); // log (1 - Phi(lower)): the last bin's mass
        // interior bins: Phi(b) - Phi(a) = Phi(-a) - Phi(-b); take the side whose CDF values are small
        Tensor mirror = upper.add(lower).gt(new Scalar(0.0));
        Tensor hi = torch.where(mirror, lower.neg(), upper);
        Tensor lo = torch.where(mirror, upper.neg(), lower);
        Tensor logHi = torch.special_log_ndtr(hi);
        Tensor interior = logHi.add(torch.special_log_ndtr(lo).sub(logHi).expm1().neg().log()); // log(Phi(hi) - Phi(lo))
        Tensor logP = torch.where(x.lt(new Scalar(-EDGE)), belowUpper,
                torch.where(x.gt(new Scalar(EDGE)), aboveLower, interior));
        return logP.clamp_min(new Scalar(Math.log(MIN_PROBABILITY)));
    }
}
