package org.atdiff.sampling;

import org.atdiff.nn.Denoiser;
import org.atdiff.nn.DenoiserOutput;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Epsilon scaling (Ning et al., "Elucidating the Exposure Bias in Diffusion Models", ICLR 2024, sec. 5):
 * the sampler sees eps_theta(x_t, t) / lambda with a constant lambda, which counters exposure bias without
 * retraining. Works with every sampler, since samplers only call {@link Denoiser#predictNoise}.
 */
public final class EpsilonScaling implements Denoiser {
    /** The default lambda, as {@code sample.es-factor} in conf/application.conf. */
    public static final double DEFAULT_FACTOR = 1.017;

    private final Denoiser inner;
    private final double factor;

    public EpsilonScaling(Denoiser inner, double factor) {
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("epsilon scaling factor must be positive and finite: " + factor);
        }
        this.inner = inner;
        this.factor = factor;
    }

    public EpsilonScaling(Denoiser inner) {
        this(inner, DEFAULT_FACTOR);
    }

    public double factor() {
        return factor;
    }

    @Override
    public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
        return inner.predictNoise(x, t, labels).div(new Scalar(factor)); // eps / lambda
    }

    /** eps / lambda, and a learned-variance model's v unchanged. */
    @Override
    public DenoiserOutput predict(Tensor x, Tensor t, Tensor labels) {
        DenoiserOutput out = inner.predict(x, t, labels);
        return new DenoiserOutput(out.eps().div(new Scalar(factor)), out.v());
    }
}
