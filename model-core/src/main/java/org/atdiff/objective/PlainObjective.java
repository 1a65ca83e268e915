package org.atdiff.objective;

import java.util.Optional;
import java.util.OptionalDouble;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.DenoiserOutput;
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
        if (timesteps == null) throw new IllegalArgumentException("timestep sampler must be given");
        this.timesteps = timesteps;
    }

    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        try (PointerScope scope = new PointerScope()) {
            ForwardDraw d = ForwardDraw.draw(schedule, x0, labels, noise, timesteps);
            DenoiserOutput out = model.predict(d.xt(), d.timesteps(), labels);
            Tensor perSample = DenoisingLoss.perSample(schedule, d.indices(), out, d.eps(), d.xt(), x0, d.xt());
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
