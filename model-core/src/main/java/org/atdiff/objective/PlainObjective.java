package org.atdiff.objective;

import java.util.OptionalDouble;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/** DDPM training (Ho et al. 2020, Algorithm 1): L = mean ||eps - eps_theta(x_t, t)||^2 (eq. 14), one update. */
public final class PlainObjective implements TrainingObjective {
    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        try (PointerScope scope = new PointerScope()) {
            ForwardDraw d = ForwardDraw.draw(schedule, x0, labels, noise);
            Tensor loss = ForwardDraw.squaredError(model.predictNoise(d.xt(), d.timesteps(), labels), d.eps());
            loss.backward();
            double value = loss.item_double();
            update.apply(value);
            return new StepStats(value, OptionalDouble.empty(), 1);
        }
    }
}
