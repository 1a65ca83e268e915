package org.atdiff.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.TimestepSampler;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.random.RandomStream;
import org.atdiff.train.GradientSync;
import org.atdiff.train.Minibatch;
import org.atdiff.train.Precision;
import org.atdiff.train.StepMetrics;
import org.atdiff.train.TrainingLoop;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * atdiff's training loop on one preset as the train command runs it (objective, gradient buffer, clipping, AdamW,
 * EMA), on a fixed minibatch of clamped Gaussian images, timed step by step. Runs with the same preset and seed start
 * from the same weights and draw the same timesteps and noise, so their losses can be compared step by step. The
 * objective {@code hybrid} is {@code plain} on the preset with a learned variance (model.learn-sigma), i.e. the
 * hybrid loss.
 */
final class TrainingRun {
    private final TrainingLoop loop;
    private final Tensor images;
    private final List<Double> seconds = new ArrayList<>();
    private final List<Double> losses = new ArrayList<>();
    private int updatesPerStep = 1;

    TrainingRun(UNetConfig config, String objective, Precision precision, int batch, AdversarialSettings adversarial) {
        boolean hybrid = objective.equals("hybrid");
        UNet model = new UNet(config.withLearnSigma(hybrid), 0);
        RandomStream data = new RandomStream(1);
        // images in [-1, 1] (the data range); their content does not change the cost of a step
        images = data.normal(new long[] {batch, config.inChannels(), config.imageSize(), config.imageSize()})
                .clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0))).retainReference();
        loop = new TrainingLoop(precision.apply(model), NoiseSchedule.named("linear", 1000),
                TrainingObjective.named(hybrid ? "plain" : objective, 0.1, adversarial,
                        TimestepSampler.UNIFORM), new AdamW(model.parameters(), 0.0),
                new LearningRateSchedule(1e-4, 0), new GradientClipping(1.0), new ExponentialMovingAverage(model, 0.9999),
                () -> new Minibatch(images, null), new RandomStream(2), GradientSync.LOCAL);
    }

    /** Runs {@code warmup} untimed steps, then {@code steps} timed ones. */
    void run(int warmup, int steps) {
        for (int i = 0; i < warmup + steps; i++) {
            long start = System.nanoTime();
            StepMetrics m = loop.runStep();
            double s = (System.nanoTime() - start) * 1e-9;
            updatesPerStep = m.updates();
            if (i >= warmup) {
                seconds.add(s);
                losses.add(m.loss());
            }
        }
    }

    List<Double> seconds() {
        return seconds;
    }

    List<Double> losses() {
        return losses;
    }

    /** Optimizer updates per minibatch step (K for free AT). */
    int updatesPerStep() {
        return updatesPerStep;
    }
}
