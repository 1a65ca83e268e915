package org.atdiff.diffusion;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The KL divergence of two diagonal Gaussians, element by element, in nats:
 * KL(N(m1, e^{l1}) || N(m2, e^{l2})) = 0.5 (-1 + l2 - l1 + e^{l1 - l2} + (m1 - m2)^2 e^{-l2}), the closed form behind
 * the L_{t-1} terms of the variational bound (Ho et al. 2020, eq. 5). Arguments broadcast against each other (a
 * per-sample log variance of shape [B, 1, 1, 1] against means of shape [B, C, H, W]).
 */
public final class GaussianKl {
    private GaussianKl() {}

    /**
     * @param mean1    mean of the first Gaussian (e.g. the posterior q)
     * @param logVar1  its log variance
     * @param mean2    mean of the second Gaussian (e.g. the model p)
     * @param logVar2  its log variance
     * @return KL(N1 || N2) per element, the broadcast shape of the arguments
     */
    public static Tensor elementwise(Tensor mean1, Tensor logVar1, Tensor mean2, Tensor logVar2) {
        Tensor ratio = logVar1.sub(logVar2).exp(); // sigma1^2 / sigma2^2
        Tensor mahalanobis = mean1.sub(mean2).square().mul(logVar2.neg().exp());
        return logVar2.sub(logVar1).add(ratio).add(mahalanobis).sub(new Scalar(1.0)).mul(new Scalar(0.5));
    }
}
