package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.pytorch.Tensor;

/** x_t + delta with delta a uniformly random direction of norm {@code radius * sqrt(C*H*W)} (a Gaussian draw, normalised). */
public record GaussianStatePerturbation(double radius) implements StatePerturbation {
    public GaussianStatePerturbation {
        StatePerturbation.checkRadius(radius);
    }

    @Override
    public Tensor apply(Denoiser model, NoiseSchedule schedule, int i, Tensor x, Tensor labels, BatchNoise noise) {
        long[] rowShape = SamplingInputs.rowShape(x, noise);
        return x.add(StatePerturbation.toRadius(noise.normal(rowShape), radius));
    }

    @Override
    public String kind() {
        return "gaussian";
    }
}
