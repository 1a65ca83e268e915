package org.atdiff.objective;

import java.util.OptionalDouble;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * DDPM-IP (Ning et al., "Input Perturbation Reduces Exposure Bias in Diffusion Models", ICML 2023, Algorithm 1):
 * the network sees y_t = x_t + gamma sqrt(1 - abar_t) xi with fresh xi ~ N(0, I) and still predicts eps.
 */
public final class InputPerturbationObjective implements TrainingObjective {
    public static final double DEFAULT_GAMMA = 0.1;
    private final double gamma;

    public InputPerturbationObjective(double gamma) {
        if (!(gamma >= 0) || Double.isInfinite(gamma)) throw new IllegalArgumentException("ip.gamma must be >= 0: " + gamma);
        this.gamma = gamma;
    }

    public double gamma() {
        return gamma;
    }

    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        try (PointerScope scope = new PointerScope()) {
            ForwardDraw d = ForwardDraw.draw(schedule, x0, labels, noise);
            Tensor xi = noise.normal(ForwardDraw.perRowShape(x0)); // each row's xi follows its eps in its own stream
            // y_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) (eps + gamma xi)
            Tensor y = d.xt().add(xi.mul(schedule.perSample(d.indices(), schedule::sqrtOneMinusAlphaBar))
                    .mul(new Scalar(gamma)));
            Tensor loss = ForwardDraw.squaredError(model.predictNoise(y, d.timesteps(), labels), d.eps());
            loss.backward();
            double value = loss.item_double();
            update.apply(value);
            return new StepStats(value, OptionalDouble.empty(), 1);
        }
    }
}
