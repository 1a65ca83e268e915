package org.atdiff.jobs.train;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.engine.EngineReport;
import org.atdiff.io.Checkpoint;
import org.atdiff.nn.UNet;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.random.RandomStream;
import org.atdiff.train.GradientSync;
import org.atdiff.train.NonFiniteLossException;
import org.atdiff.train.StepListener;
import org.atdiff.train.StepMetrics;
import org.atdiff.train.TrainingLoop;
import org.bytedeco.javacpp.PointerScope;

/**
 * One replica of a data-parallel training run, from (re)start to the last step: builds the model, restores the
 * newest checkpoint of the run directory (or a fine-tuning start from {@code train.init-checkpoint}), runs the
 * {@link TrainingLoop} with its gradients averaged by a {@link GradientSync}, and on rank 0 writes checkpoints,
 * {@code metrics.jsonl} and {@code progress.json}. All replicas start from the same weights and apply the same
 * averaged gradients, so they stay identical and any of them could write the checkpoint.
 *
 * <p>Random streams derive from {@code run.seed}: the initial weights, the data order ({@link GlobalBatchOrder}), the
 * per-sample noise (row j of rank r at step s: {@code noise.derive(s).derive(r B + j)}, see {@link TrainingLoop}) and
 * dropout (rank r: {@code dropout.derive(r)}). Checkpoints store them under {@code rng.data}, {@code rng.noise} and
 * {@code rng.dropout} (the per-rank streams' base seed with their common position: every rank runs the same forward
 * passes), so a resumed run continues exactly where the uninterrupted one would be.
 *
 * <p>The objective comes from {@link org.atdiff.train.ObjectiveSettings#build}; its state (a cd run's target network,
 * tensors {@code target.*}; a loss-second-moment sampler's history, tensors {@code timesteps.*}, identical on every
 * replica) is saved in every checkpoint and restored on resume; a fine-tuning start begins a fresh state.
 */
public final class ReplicaTrainer {
    static final String DATA = "data", NOISE = "noise", DROPOUT = "dropout";
    private static final long MODEL_KEY = 0, DATA_KEY = 1, NOISE_KEY = 2, DROPOUT_KEY = 3;

    private final TrainPlan plan;
    private final TrainSettings settings;
    private final ModelSpec spec;
    private final RunDirectory run;
    private StepListener observer;

    public ReplicaTrainer(TrainPlan plan, RunDirectory run) {
        this.plan = plan;
        this.settings = plan.settings();
        this.spec = plan.spec();
        this.run = run;
    }

    /** A listener called on rank 0 after each step (e.g. a console printer for train-local). */
    public ReplicaTrainer observe(StepListener observer) {
        this.observer = observer;
        return this;
    }

    /** The streams of a fresh run with seed {@code seed}, by checkpoint name. */
    static LinkedHashMap<String, RandomStream> freshStreams(long seed) {
        RandomStream root = new RandomStream(seed);
        LinkedHashMap<String, RandomStream> s = new LinkedHashMap<>();
        s.put(DATA, root.derive(DATA_KEY));
        s.put(NOISE, root.derive(NOISE_KEY));
        s.put(DROPOUT, root.derive(DROPOUT_KEY));
        return s;
    }

    /** The initial weights' seed of a run. */
    static long modelSeed(long seed) {
        return new RandomStream(seed).derive(MODEL_KEY).seed();
    }

    /**
     * Trains from the newest state in the run directory: without a span in the plan to {@code train.steps} on a table
     * holding the whole split (replicated placement), visiting it in the {@link GlobalBatchOrder}; with one to the end
     * of the span on a table holding the samples the driver routed to this rank for it (sharded placement),
     * checkpointing at its end so the next span's stage starts there.
     *
     * @param attempt 1 for the first launch; a fault injection file may name it
     */
    public WorkerOutcome train(ImageTable data, int rank, int workers, int attempt, GradientSync sync) throws IOException {
        ShardSpan span = plan.span();
        Optional<FailureInjection> injection = FailureInjection.read(run);
        try (PointerScope scope = new PointerScope()) {
            UNet model = spec.build(modelSeed(settings.seed()));
            LinkedHashMap<String, RandomStream> streams = freshStreams(settings.seed());
            var optimizer = settings.optimizer().adamW(model);
            var ema = settings.optimizer().ema(model);
            long start = 0;
            Optional<Path> latest = run.latestCheckpoint();
            TrainingObjective objective = settings.objective().build(spec, model, ema, settings.steps(),
                    latest.isEmpty(), modelSeed(settings.seed()), t -> TeacherCheckpoint.read(t, spec, run.hadoop()));
            try (PointerScope loading = new PointerScope()) { // the loaded tensors are copied, then freed
                if (latest.isPresent()) {
                    Checkpoint c = run.read(latest.get(), in -> Checkpoint.load(in, latest.get().toString()));
                    requireSameModel(c, model, latest.get().toString());
                    model.loadStateDict(c.model());
                    ema.loadStateDict(c.ema());
                    optimizer.loadStateDict(c.optimizer());
                    objective.restore(c.objective(), latest.get().toString());
                    streams = new LinkedHashMap<>(c.rng());
                    start = c.step();
                    if (start < plan.startStep()) {
                        throw new IllegalStateException("rank " + rank + " finds checkpoint " + latest.get() + " at step "
                                + start + " but the driver planned from step " + plan.startStep() + " (run.dir changed "
                                + "during the run?)");
                    }
                } else if (!settings.initCheckpoint().isBlank()) {
                    // fine-tuning start: weights and EMA from the checkpoint, a fresh optimizer, step 0
                    Checkpoint c = readInitCheckpoint(settings.initCheckpoint());
                    requireSameModel(c, model, settings.initCheckpoint());
                    model.loadStateDict(c.model());
                    ema.loadStateDict(c.ema().isEmpty() ? c.model() : c.ema());
                }
            }
            RandomStream dropout = streams.get(DROPOUT);
            model.dropoutStream(new RandomStream(dropout.derive(rank).seed(), dropout.counter()));

            long dataSeed = streams.get(DATA).seed(), until = settings.steps();
            SampleRows rows;
            if (span == null) {
                rows = new GlobalBatchOrder(data.size(), dataSeed);
            } else {
                span.requireCovers(start, dataSeed, rank);
                rows = data::row;
                until = span.until();
            }
            ShuffledMinibatches batches = new ShuffledMinibatches(data, rows, rank, workers, settings.batchSize(),
                    spec.unet().numClasses() > 0);
            batches.seek(start);
            // bf16: the objective sees an autocast wrapper; weights, gradients, AdamW and EMA stay fp32
            TrainingLoop loop = new TrainingLoop(settings.precision().apply(model), spec.noiseSchedule(),
                    objective, optimizer,
                    settings.optimizer().learningRate(), settings.optimizer().clipping(), ema, batches, streams.get(NOISE), sync,
                    (long) rank * settings.batchSize());
            loop.resumeAt(start);
            MetricsLog metrics = rank == 0 ? new MetricsLog(run, start) : null;
            if (rank == 0) {
                loop.addListener(new RootOutputs(metrics, model, objective, streams, start, until, attempt, workers));
            }
            if (rank == 0 && observer != null) loop.addListener(observer);
            injection.ifPresent(f -> loop.addListener((m, l) -> f.maybeFail(rank, m.step(), attempt)));
            try {
                loop.run(until);
            } catch (NonFiniteLossException e) {
                if (metrics != null) metrics.flush();
                return new WorkerOutcome(rank, e.step() - 1, e.getMessage(), data.size());
            }
            return new WorkerOutcome(rank, loop.step(), null, data.size());
        }
    }

    private Checkpoint readInitCheckpoint(String location) throws IOException {
        return RunDirectory.readCheckpoint(location, run.hadoop(), "train.init-checkpoint");
    }

    private static void requireSameModel(Checkpoint c, UNet model, String source) {
        try {
            c.requireSameShapes(model.stateDict());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + source + " holds a model of another shape than model.* "
                    + "configures (" + e.getMessage() + "); keep the model settings of the run or use another run.dir", e);
        }
    }

    /** Rank 0's outputs after each step: metrics and progress every log step, checkpoints every checkpoint step. */
    private final class RootOutputs implements StepListener {
        private final MetricsLog metrics;
        private final UNet model;
        private final TrainingObjective objective;
        private final LinkedHashMap<String, RandomStream> streams;
        private final long until;
        private final int attempt, workers;
        private final StepClock clock;
        private boolean engineLogged;

        RootOutputs(MetricsLog metrics, UNet model, TrainingObjective objective,
                    LinkedHashMap<String, RandomStream> streams, long startStep, long until, int attempt, int workers) {
            this.metrics = metrics;
            this.model = model;
            this.objective = objective;
            this.streams = streams;
            this.clock = new StepClock(startStep);
            this.until = until;
            this.attempt = attempt;
            this.workers = workers;
        }

        @Override
        public void onStep(StepMetrics m, TrainingLoop loop) {
            long s = m.step();
            long total = settings.steps();
            try {
                if (s % settings.logEvery() == 0 || s == 1 || s == total) {
                    EngineReport engine = ConvolutionEngine.report(); // the check this worker's JVM made
                    metrics.add(m, engineLogged ? Map.of() : Map.of("engine", engine.asMap())); // once per attempt
                    engineLogged = true;
                    metrics.progress(m, total, clock.secondsLeft(s, total), attempt, workers, engine.line());
                }
                if (s % settings.checkpointing().every() == 0 || s == total || s == until) {
                    metrics.flush();
                    try (PointerScope scope = new PointerScope()) { // frees the optimizer state's copies
                        Checkpoint c = checkpoint(loop, s);
                        run.writeCheckpoint(s, c::save, settings.checkpointing().keep());
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("rank 0 could not write to " + run.root(), e);
            }
        }

        private Checkpoint checkpoint(TrainingLoop loop, long step) {
            LinkedHashMap<String, RandomStream> rng = new LinkedHashMap<>();
            rng.put(DATA, streams.get(DATA));
            rng.put(NOISE, streams.get(NOISE));
            RandomStream mine = model.dropoutStream();
            rng.put(DROPOUT, new RandomStream(streams.get(DROPOUT).seed(), mine.counter()));
            return new Checkpoint(new LinkedHashMap<>(model.stateDict()), loop.ema().stateDict(),
                    loop.optimizer().stateDict(), step, rng, plan.configJson(), spec.toJson(),
                    objective.state());
        }
    }
}
