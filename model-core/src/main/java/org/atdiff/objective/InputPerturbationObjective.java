package org.atdiff.objective;

import java.util.Optional;
import java.util.OptionalDouble;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * DDPM-IP (Ning et al., "Input Perturbation Reduces Exposure Bias in Diffusion Models", ICML 2023, Algorithm 1):
 * the network sees y_t = x_t + gamma sqrt(1 - abar_t) xi with fresh xi ~ N(0, I) and still predicts eps. With a
 * learned variance, L_vlb compares p_theta(. | y_t) with the posterior q(x_{t-1} | y_t, x_0), as the authors' code
 * (built on guided-diffusion) does: y_t is the x_t of their whole loss.
 */
public final class InputPerturbationObjective implements TrainingObjective {
    public static final double DEFAULT_GAMMA = 0.1;
    private final double gamma;
    private final TimestepSampler timesteps;

    /** Uniform timesteps. */
    public InputPerturbationObjective(double gamma) {
        this(gamma, TimestepSampler.UNIFORM);
    }

    public InputPerturbationObjective(double gamma, TimestepSampler timesteps) {
        if (!(gamma >= 0) || Double.isInfinite(gamma)) throw new IllegalArgumentException("ip.gamma must be >= 0: " + gamma);
        if (timesteps == null) throw new IllegalArgumentException("timestep sampler must be given");
        this.gamma = gamma;
        this.timesteps = timesteps;
    }

    public double gamma() {
        return gamma;
    }

    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        try (PointerScope scope = new PointerScope()) {
            ForwardDraw d = ForwardDraw.draw(schedule, x0, labels, noise, timesteps);
            Tensor xi = noise.normal(ForwardDraw.perRowShape(x0)); // each row's xi follows its eps in its own stream
            // y_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) (eps + gamma xi)
            Tensor y = d.xt().add(xi.mul(schedule.perSample(d.indices(), schedule::sqrtOneMinusAlphaBar))
                    .mul(new Scalar(gamma)));
            DenoiserOutput out = model.predict(y, d.timesteps(), labels);
            Tensor perSample = DenoisingLoss.perSample(schedule, d.indices(), out, d.eps(), y, x0, y);
            Tensor loss = d.weightedMean(perSample);
            loss.backward();
            double value = loss.item_double();
            update.apply(value);
            return StepStats.of(value, OptionalDouble.empty(), 1, timesteps, d.indices(), perSample, 1);
        }
    }

    @Override
    public Optional<TimestepSampler> lossAwareTimesteps() {
        return Optional.of(timesteps).filter(TimestepSampler::usesLosses);
    }
}
