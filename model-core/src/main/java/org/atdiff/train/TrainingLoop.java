package org.atdiff.train;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.objective.StepStats;
import org.atdiff.objective.TimestepSampler;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The training loop of one worker: minibatch -> objective (forward, backward) -> per optimizer update: gradients
 * flattened and averaged by the {@link GradientSync}, loss checked, clipped, AdamW step, EMA update, gradients zeroed.
 * Randomness is defined by global sample position: at step s (0-based) row j of this worker's minibatch draws from
 * {@code rng.derive(s).derive(rowOffset + j)} (a {@link BatchNoise}). A data-parallel worker of rank r with per-worker
 * batch B passes rowOffset = r * B, so W workers with batch B draw exactly what one worker with batch W * B draws,
 * and a run resumed at step s replays the same draws. The learning rate follows the minibatch step (all K updates of
 * a free-AT step use the same rate).
 *
 * <p>With a loss-aware timestep sampler ({@link TrainingObjective#lossAwareTimesteps()}) every step's per-sample
 * (t, loss) pairs of all workers are gathered and recorded, in global row order, on every replica after the step, so
 * the replicas' samplers stay identical and W workers with batch B record what one worker with batch W B records.
 */
public final class TrainingLoop {
    private final TrainableDenoiser model;
    private final NoiseSchedule schedule;
    private final TrainingObjective objective;
    private final AdamW optimizer;
    private final LearningRateSchedule lrSchedule;
    private final GradientClipping clipping;
    private final ExponentialMovingAverage ema;
    private final MinibatchSource data;
    private final RandomStream rng;
    private final GradientSync sync;
    private final long rowOffset;
    private final List<Tensor> params;
    private final FlatGradients flat;
    private final List<StepListener> listeners = new ArrayList<>();
    private long step;

    public TrainingLoop(TrainableDenoiser model, NoiseSchedule schedule, TrainingObjective objective, AdamW optimizer,
                        LearningRateSchedule lrSchedule, GradientClipping clipping, ExponentialMovingAverage ema,
                        MinibatchSource data, RandomStream rng, GradientSync sync) {
        this(model, schedule, objective, optimizer, lrSchedule, clipping, ema, data, rng, sync, 0);
    }

    /** @param rowOffset global position of this worker's first minibatch row (rank * per-worker batch) */
    public TrainingLoop(TrainableDenoiser model, NoiseSchedule schedule, TrainingObjective objective, AdamW optimizer,
                        LearningRateSchedule lrSchedule, GradientClipping clipping, ExponentialMovingAverage ema,
                        MinibatchSource data, RandomStream rng, GradientSync sync, long rowOffset) {
        if (rowOffset < 0) throw new IllegalArgumentException("row offset must be >= 0: " + rowOffset);
        this.model = model;
        this.schedule = schedule;
        this.objective = objective;
        this.optimizer = optimizer;
        this.lrSchedule = lrSchedule;
        this.clipping = clipping;
        this.ema = ema;
        this.data = data;
        this.rng = rng;
        this.sync = sync;
        this.rowOffset = rowOffset;
        this.params = model.parameters().stream().map(p -> new Tensor(p).<Tensor>retainReference()).toList();
        this.flat = new FlatGradients(params);
        model.train(true);
        zeroGradients();
    }

    public void addListener(StepListener listener) {
        listeners.add(listener);
    }

    /** Number of minibatch steps completed. */
    public long step() {
        return step;
    }

    /** Continues from a checkpoint written after {@code completedSteps} steps (weights, optimizer and EMA restored). */
    public void resumeAt(long completedSteps) {
        if (completedSteps < 0) throw new IllegalArgumentException("completed steps must be >= 0: " + completedSteps);
        step = completedSteps;
        objective.resumeAt(completedSteps);
    }

    public TrainableDenoiser model() {
        return model;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public ExponentialMovingAverage ema() {
        return ema;
    }

    /** Runs steps until {@code totalSteps} are completed. */
    public void run(long totalSteps) {
        while (step < totalSteps) runStep();
    }

    /** Runs one minibatch step and tells the listeners. */
    public StepMetrics runStep() {
        long number = step + 1;
        double lr = lrSchedule.at(step);
        long start = System.nanoTime();
        double[] sums = new double[2]; // synced loss, pre-clip gradient norm
        StepStats stats;
        long batch;
        try (PointerScope scope = new PointerScope()) {
            Minibatch mb = data.next();
            batch = mb.images().size(0);
            BatchNoise noise = BatchNoise.forSamples(rng.derive(step).seed(), rowOffset, Math.toIntExact(batch));
            stats = objective.step(model, schedule, mb.images(), mb.labels(), noise, loss -> {
                double[] r = update(number, loss, lr);
                sums[0] += r[0];
                sums[1] += r[1];
            });
        }
        objective.lossAwareTimesteps().ifPresent(sampler -> record(sampler, stats));
        double seconds = (System.nanoTime() - start) * 1e-9;
        step = number;
        int n = stats.updates();
        StepMetrics m = new StepMetrics(number, sums[0] / n, sums[1] / n, lr, stats.deltaNorm(),
                batch * sync.worldSize() / seconds, n);
        for (StepListener l : listeners) l.onStep(m, this);
        return m;
    }

    /** One optimizer update from the gradients the objective just computed; returns {synced loss, grad norm}. */
    private double[] update(long number, double localLoss, double lr) {
        flat.gather(localLoss);
        sync.allReduceMean(flat.buffer());
        double loss = flat.loss();
        if (!Double.isFinite(loss)) throw new NonFiniteLossException(number, "loss", loss);
        flat.scatter();
        double norm = clipping.clip(params);
        if (!Double.isFinite(norm)) throw new NonFiniteLossException(number, "gradient norm", norm);
        optimizer.step(lr);
        ema.update();
        zeroGradients();
        return new double[] {loss, norm};
    }

    /** Gathers this step's (t, loss) pairs of every worker and records them in rank order, then row order. */
    private void record(TimestepSampler sampler, StepStats stats) {
        int n = stats.timesteps().length;
        double[] local = new double[2 * n];
        for (int b = 0; b < n; b++) {
            local[b] = stats.timesteps()[b];
            local[n + b] = stats.sampleLosses()[b];
        }
        double[] all = sync.allGather(local);
        if (all.length % (2 * Math.max(n, 1)) != 0 || n == 0) {
            throw new IllegalStateException("the objective reported " + n + " per-sample losses; gathered " + all.length + " values");
        }
        for (int r = 0; r < all.length / (2 * n); r++) {
            int[] t = new int[n];
            double[] losses = new double[n];
            for (int b = 0; b < n; b++) {
                t[b] = (int) all[r * 2 * n + b];
                losses[b] = all[r * 2 * n + n + b];
            }
            sampler.record(t, losses);
        }
    }

    private void zeroGradients() {
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad.defined()) grad.zero_();
            }
        }
    }
}
