package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;

/**
 * A one-step gradient attack on the denoiser's input: delta = r sqrt(C*H*W) g / ||g|| per sample, with
 * g = d/du || eps_theta(x_t + u, t) - sg(eps_theta(x_t, t)) ||^2 at a random start u of the same norm (the clean point
 * is a stationary point of this loss, hence the random start of FGSM-RS: Wong, Rice and Kolter, "Fast is better than
 * free", ICLR 2020). Costs two extra evaluations and one input backward per step; enables autograd inside itself.
 */
public record GradientStatePerturbation(double radius) implements StatePerturbation {
    public GradientStatePerturbation {
        StatePerturbation.checkRadius(radius);
    }

    @Override
    public Tensor apply(Denoiser model, NoiseSchedule schedule, int i, Tensor x, Tensor labels, BatchNoise noise) {
        long[] rowShape = SamplingInputs.rowShape(x, noise);
        Tensor clean;
        try (NoGradScope ng = new NoGradScope()) {
            clean = NoisePrediction.eps(model, schedule, i, x, labels);
        }
        Tensor start = StatePerturbation.toRadius(noise.normal(rowShape), radius);
        Tensor g;
        boolean previous = GradMode.is_enabled();
        GradMode.set_enabled(true);
        try {
            Tensor u = start.clone().set_requires_grad(true);
            Tensor deviation = NoisePrediction.eps(model, schedule, i, x.detach().add(u), labels).sub(clean).square().sum();
            deviation.backward();
            g = u.grad().detach();
        } finally {
            GradMode.set_enabled(previous);
        }
        return x.add(StatePerturbation.toRadius(g, radius));
    }

    @Override
    public String kind() {
        return "gradient";
    }
}
