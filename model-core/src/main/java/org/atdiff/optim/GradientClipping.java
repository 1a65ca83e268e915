package org.atdiff.optim;

import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Rescales all gradients together so that their global l2 norm is at most maxNorm (Pascanu et al., "On the
 * difficulty of training recurrent neural networks", 2013; the rule of torch.nn.utils.clip_grad_norm_:
 * g <- g * min(1, maxNorm / (||g|| + 1e-6))). A maxNorm of 0 or +infinity measures without clipping.
 */
public final class GradientClipping {
    private final double maxNorm;

    public GradientClipping(double maxNorm) {
        if (!(maxNorm >= 0)) throw new IllegalArgumentException("grad-clip must be >= 0: " + maxNorm);
        this.maxNorm = maxNorm;
    }

    /** Clips the gradients of params in place and returns their global l2 norm before clipping. */
    public double clip(List<Tensor> params) {
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            double sumSq = 0;
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (!grad.defined()) continue;
                double n = grad.norm().item_double();
                sumSq += n * n;
            }
            double norm = Math.sqrt(sumSq);
            boolean active = maxNorm > 0 && !Double.isInfinite(maxNorm);
            double coef = maxNorm / (norm + 1e-6);
            if (active && coef < 1) {
                Scalar c = new Scalar(coef);
                for (Tensor p : params) {
                    Tensor grad = p.grad();
                    if (grad.defined()) grad.mul_(c);
                }
            }
            return norm;
        }
    }

    public double maxNorm() {
        return maxNorm;
    }
}
