package org.atdiff.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.objective.DenoisingLoss;
import org.atdiff.objective.ForwardDraw;
import org.atdiff.objective.ParameterUpdate;
import org.atdiff.objective.StepStats;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.train.GradientSync;
import org.atdiff.train.Minibatch;
import org.atdiff.train.TrainingLoop;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * A plain fp32 training step of the U-Net taken apart into its phases and timed each: draw (t, eps and x_t), forward
 * (network and loss), backward, update (the TrainingLoop's own update: gradients flattened and scattered back,
 * clipping, AdamW, EMA, zeroing). The step runs in a TrainingLoop like the train command's, with the plain objective
 * (PlainObjective's computation) timed phase by phase; the train section times the loop itself.
 */
final class StepPhases implements TrainingObjective {
    /** Seconds of each phase of one step. */
    record Split(double draw, double forward, double backward, double update) {
        double total() {
            return draw + forward + backward + update;
        }
    }

    private final List<Split> splits = new ArrayList<>();

    private StepPhases() {}

    /** Runs {@code warmup} untimed steps, then {@code steps} timed ones. */
    static List<Split> run(UNetConfig config, int batch, int warmup, int steps) {
        UNet model = new UNet(config, 0);
        long s = config.imageSize();
        Tensor images = new RandomStream(1).normal(new long[] {batch, config.inChannels(), s, s})
                .clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0))).retainReference();
        StepPhases phases = new StepPhases();
        TrainingLoop loop = new TrainingLoop(model, NoiseSchedule.named("linear", 1000), phases, new AdamW(model.parameters(), 0.0),
                new LearningRateSchedule(1e-4, 0), new GradientClipping(1.0), new ExponentialMovingAverage(model, 0.9999),
                () -> new Minibatch(images, null), new RandomStream(2), GradientSync.LOCAL);
        loop.run(warmup + steps);
        images.releaseReference();
        return List.copyOf(phases.splits.subList(warmup, warmup + steps));
    }

    /** PlainObjective's step (DDPM eq. 14), timed. */
    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            ForwardDraw d = ForwardDraw.draw(schedule, x0, labels, noise);
            long t1 = System.nanoTime();
            Tensor loss = d.weightedMean(DenoisingLoss.perSample(schedule, d.indices(),
                    model.predict(d.xt(), d.timesteps(), labels), d.eps(), d.xt(), x0, d.xt()));
            long t2 = System.nanoTime();
            loss.backward();
            long t3 = System.nanoTime();
            double value = loss.item_double();
            update.apply(value);
            long t4 = System.nanoTime();
            splits.add(new Split((t1 - t0) * 1e-9, (t2 - t1) * 1e-9, (t3 - t2) * 1e-9, (t4 - t3) * 1e-9));
            return new StepStats(value, OptionalDouble.empty(), 1);
        }
    }
}
