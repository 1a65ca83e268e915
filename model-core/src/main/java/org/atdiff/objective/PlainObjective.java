package org.atdiff.objective;

import static org.atdiff.settings.SettingChecks.given;
import java.util.Optional;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * DDPM training (Ho et al. 2020, Algorithm 1): L = mean_b w_b L_b with L_b = ||eps - eps_theta(x_t, t)||^2 / d (eq. 14;
 * the hybrid loss for a model that learns its variance, {@link DenoisingLoss}) and the timestep sampler's importance
 * weights w_b (1 for uniform t), one update.
 */
public final class PlainObjective implements TrainingObjective {
    private final TimestepSampler timesteps;

    /** Uniform timesteps. */
    public PlainObjective() {
        this(TimestepSampler.UNIFORM);
    }

    public PlainObjective(TimestepSampler timesteps) {
        this.timesteps = given("timestep sampler", timesteps);
    }

    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        try (PointerScope scope = new PointerScope()) {
            ForwardDraw d = ForwardDraw.draw(schedule, x0, labels, noise, timesteps);
            return d.denoisingStep(model, schedule, d.xt(), x0, labels, timesteps, update);
        }
    }

    @Override
    public Optional<TimestepSampler> lossAwareTimesteps() {
        return Optional.of(timesteps).filter(TimestepSampler::usesLosses);
    }
}
