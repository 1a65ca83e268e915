package org.atdiff.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.train.FlatGradients;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * A plain fp32 training step of the U-Net taken apart into its phases and timed each: draw (t, eps and x_t), forward
 * (network and loss), backward, update (gradients flattened and scattered back, clipping, AdamW, EMA, zeroing), the
 * same operations the train command's TrainingLoop runs with the plain objective. It profiles the step; the train
 * section times the loop itself.
 */
final class StepPhases {
    /** Seconds of each phase of one step. */
    record Split(double draw, double forward, double backward, double update) {
        double total() {
            return draw + forward + backward + update;
        }
    }

    private StepPhases() {}

    /** Runs {@code warmup} untimed steps, then {@code steps} timed ones. */
    static List<Split> run(UNetConfig config, int batch, int warmup, int steps) {
        UNet model = new UNet(config, 0);
        model.train(true);
        List<Tensor> params = model.parameters();
        AdamW optimizer = new AdamW(params, 0.0);
        GradientClipping clipping = new GradientClipping(1.0);
        ExponentialMovingAverage ema = new ExponentialMovingAverage(model, 0.9999);
        FlatGradients flat = new FlatGradients(params);
        NoiseSchedule schedule = NoiseSchedule.named("linear", 1000);
        List<Split> out = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            long s = config.imageSize();
            Tensor x0 = new RandomStream(1).normal(new long[] {batch, config.inChannels(), s, s})
                    .clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
            RandomStream rng = new RandomStream(2);
            for (int i = 0; i < warmup + steps; i++) {
                try (PointerScope step = new PointerScope()) {
                    long t0 = System.nanoTime();
                    BatchNoise noise = BatchNoise.forSamples(rng.derive(i).seed(), 0, batch);
                    int[] t = new int[batch];
                    for (int b = 0; b < batch; b++) t[b] = noise.stream(b).nextInt(schedule.timesteps());
                    Tensor eps = noise.normal(config.inChannels(), s, s);
                    Tensor xt = schedule.addNoise(x0, eps, t); // DDPM eq. 4
                    long t1 = System.nanoTime();
                    Tensor loss = model.predictNoise(xt, schedule.modelTimesteps(t), null).sub(eps).square().mean();
                    long t2 = System.nanoTime();
                    loss.backward();
                    long t3 = System.nanoTime();
                    flat.gather(loss.item_double());
                    flat.scatter();
                    clipping.clip(params);
                    optimizer.step(1e-4);
                    ema.update();
                    try (NoGradScope g = new NoGradScope()) {
                        for (Tensor p : params) p.grad().zero_();
                    }
                    long t4 = System.nanoTime();
                    if (i >= warmup) out.add(new Split((t1 - t0) * 1e-9, (t2 - t1) * 1e-9, (t3 - t2) * 1e-9, (t4 - t3) * 1e-9));
                }
            }
        }
        return out;
    }
}
