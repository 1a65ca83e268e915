package org.atdiff.consistency;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The exact consistency function of data N(m, s^2 I): the probability-flow ODE keeps (x - m) / sqrt(s^2 + sigma^2)
 * fixed, so f(x, t) = m + (x - m) sqrt(s^2 + sigma_min^2) / sqrt(s^2 + sigma_t^2) (f(x, 0) = x). Counts its calls.
 */
final class GaussianConsistencyFunction implements ConsistencyFunction {
    private final ConsistencyParameterization p;
    private final double mean, std;
    int calls;

    GaussianConsistencyFunction(ConsistencyParameterization p, double mean, double std) {
        this.p = p;
        this.mean = mean;
        this.std = std;
    }

    @Override
    public ConsistencyParameterization parameterization() {
        return p;
    }

    @Override
    public Tensor apply(Tensor x, int[] t, Tensor labels) {
        calls++;
        double lo = Math.sqrt(std * std + p.sigmaMin() * p.sigmaMin());
        return x.sub(new Scalar(mean)).mul(p.perSample(t.length, b -> lo / Math.sqrt(std * std + p.sigma(t[b]) * p.sigma(t[b])), x))
                .add(new Scalar(mean));
    }
}
