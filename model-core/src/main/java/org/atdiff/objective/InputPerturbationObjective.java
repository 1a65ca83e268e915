package org.atdiff.objective;

import static org.atdiff.settings.SettingChecks.given;
import java.util.Optional;
import org.atdiff.diffusion.NoiseSchedule;
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
        this.gamma = gamma;
        this.timesteps = given("timestep sampler", timesteps);
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
            return d.denoisingStep(model, schedule, y, x0, labels, timesteps, update);
        }
    }

    @Override
    public Optional<TimestepSampler> lossAwareTimesteps() {
        return Optional.of(timesteps).filter(TimestepSampler::usesLosses);
    }
}
