package org.atdiff.jobs.train;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.Checkpoint;
import org.atdiff.jobs.cluster.DataParallelStage;
import org.atdiff.jobs.command.ModelSettings;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.Manifest;
import org.atdiff.prep.PreparedDataset;
import org.atdiff.random.RandomStream;
import org.bytedeco.javacpp.PointerScope;
import scala.Tuple2;

/**
 * Synchronous data-parallel training on Spark (in the manner of BigDL's DistriOptimizer and TorchDistributor): a
 * barrier stage with one long-running task per worker, each holding the training images in memory and a replica of
 * the model, all-reducing (averaging) the gradients at every optimizer update so that the replicas stay identical.
 *
 * <p><b>Data order.</b> The order in which the run visits the images is a function of the seed alone
 * ({@link GlobalBatchOrder}): W workers with per-worker batch B see exactly the global batches of one worker with
 * batch W B, and with the per-sample noise streams of {@link org.atdiff.train.TrainingLoop} the two runs compute the
 * same updates up to floating-point summation order.
 *
 * <p><b>Data placement</b> ({@code train.data-placement}, see docs/deploy.md). {@code sharded}: the run is cut into
 * spans of steps that follow the epochs ({@link ShardRouting#spanEnd}); for each span a shuffle routes every sample
 * of the span to the worker that consumes it, keyed by its sample number, and one barrier stage trains the span and
 * checkpoints at its end, where the next span's stage resumes. A worker holds at most ceil(N / W) + B images. The
 * images are read from the dataset again for every span (never cached), their order among the ids is fixed by the
 * sorted id list the driver collects once and broadcasts. {@code replicated}: the Parquet rows are replicated to the
 * W partitions of one stage for the whole run (uint8, 150 MB per worker for CIFAR-10). Both place sample n at the
 * same image, so they train the same weights.
 *
 * <p><b>Recovery.</b> A failed attempt (executor lost, task killed, exception) is relaunched by the
 * {@link DataParallelStage} up to {@code train.max-attempts} times; each worker resumes from the newest checkpoint,
 * so at most {@code train.checkpoint-every} steps are recomputed. A run directory that already holds checkpoints is
 * resumed the same way. A non-finite loss stops every worker at the same step (they share the averaged loss) and is
 * reported without relaunching.
 *
 * <p>Use {@link #prepare} (configuration, dataset and resume checks, no Spark) then {@link #run}.
 */
public final class DistributedTrainer {
    private final Config config;
    private final TrainSettings settings;
    private final PreparedDataset dataset;
    private final ModelSpec spec;
    private final long startStep, dataSeed;
    private final String start;

    private DistributedTrainer(Config config, TrainSettings settings, PreparedDataset dataset, ModelSpec spec,
                               long startStep, long dataSeed, String start) {
        this.config = config;
        this.settings = settings;
        this.dataset = dataset;
        this.spec = spec;
        this.startStep = startStep;
        this.dataSeed = dataSeed;
        this.start = start;
    }

    /**
     * The result of a run: the last step, its checkpoint, its metrics line and the most rows each worker held at once
     * (by rank; empty when there was nothing to do).
     */
    public record Outcome(long step, Path checkpoint, String lastMetrics, List<Integer> rowsPerWorker) {}

    /**
     * Checks the configuration, the dataset's manifest and the run directory before any Spark work: bad keys,
     * a missing dataset, and a run directory holding checkpoints of a model of another shape are errors naming them.
     */
    public static DistributedTrainer prepare(Config config, Configuration hadoop) throws IOException {
        TrainSettings settings = TrainSettings.fromConfig(config);
        PreparedDataset dataset = open(settings.dataPath(), hadoop);
        Manifest shape = dataset.manifest();
        if (shape.height() != shape.width()) {
            throw new IllegalArgumentException("data.path " + settings.dataPath() + " holds " + shape.height() + "x"
                    + shape.width() + " images; the U-Net needs square images (prep with image.size)");
        }
        ModelSpec spec = ModelSettings.fromConfig(config, shape.height(), shape.channels(), shape.labelNames().size());
        RunDirectory run = new RunDirectory(settings.runDir(), hadoop);
        Optional<Path> latest = run.latestCheckpoint();
        long startStep = 0, dataSeed = ReplicaTrainer.freshStreams(settings.seed()).get(ReplicaTrainer.DATA).seed();
        String start = "from scratch";
        try (PointerScope scope = new PointerScope()) {
            if (latest.isPresent()) {
                Checkpoint.Header c = run.read(latest.get(), in -> Checkpoint.readHeader(in, latest.get().toString()));
                requireSameShapes(c, spec, latest.get().toString());
                settings.objective().requireResumable(c.objectiveState(), latest.get().toString());
                startStep = c.step();
                RandomStream data = c.rng().get(ReplicaTrainer.DATA);
                if (data == null) {
                    throw new IllegalArgumentException("run.dir holds checkpoint " + latest.get() + " without the random "
                            + "stream rng." + ReplicaTrainer.DATA + "; it was not written by train");
                }
                dataSeed = data.seed();
                start = "resuming from " + latest.get().getName();
            } else if (!settings.initCheckpoint().isBlank()) {
                start = "fine-tuning from " + settings.initCheckpoint() + " (fresh optimizer, step 0)";
            }
            Optional<String> teacher = settings.objective().teacher();
            if (teacher.isPresent()) {
                TeacherCheckpoint.read(teacher.get(), spec, hadoop);
                if (latest.isEmpty()) start = "distilling " + teacher.get();
            }
        }
        return new DistributedTrainer(config, settings, dataset, spec, startStep, dataSeed, start);
    }

    /** The prepared dataset; a missing dataset or manifest is an error naming data.path. */
    private static PreparedDataset open(String dataPath, Configuration hadoop) throws IOException {
        try {
            return PreparedDataset.open(dataPath, hadoop);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("data.path " + e.getMessage(), e);
        }
    }

    private static void requireSameShapes(Checkpoint.Header c, ModelSpec spec, String source) {
        try {
            c.requireSameShapes(spec.build(0).stateDict());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("run.dir holds checkpoint " + source + " of a model of another shape than"
                    + " model.* configures now (" + e.getMessage() + "); use the run's model settings or another run.dir", e);
        }
    }

    public TrainSettings settings() {
        return settings;
    }

    public ModelSpec spec() {
        return spec;
    }

    /** Step the run starts from (0 unless resuming). */
    public long startStep() {
        return startStep;
    }

    /** Trains on {@code spark}, printing progress lines to {@code out}; throws if the run stopped before the end. */
    public Outcome run(SparkSession spark, PrintStream out) throws IOException, InterruptedException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        RunDirectory run = new RunDirectory(settings.runDir(), sc.hadoopConfiguration());
        if (startStep >= settings.steps()) {
            out.printf("train: %s already holds step %d >= train.steps = %d; nothing to do%n", settings.runDir(),
                    startStep, settings.steps());
            return outcome(run, List.of());
        }
        run.writeText("config.conf", TrainSettings.toHocon(config));

        sc.setJobDescription("atdiff train: reading " + settings.dataPath() + " (split " + settings.split() + ")");
        JavaRDD<DatasetImage> images = dataset.images(spark, settings.split());
        boolean sharded = settings.dataPlacement() == DataPlacement.SHARDED;
        long[] ids = sharded ? sortedIds(spark) : null;
        long count = sharded ? ids.length : images.count();
        if (count == 0) {
            throw new IllegalArgumentException("data.path " + settings.dataPath() + " has no images in data.split '"
                    + settings.split() + "'");
        }
        int workers = settings.workers() > 0 ? settings.workers() : DataParallelStage.workersPerExecutor(sc);
        long global = (long) workers * settings.batchSize();
        Manifest shape = dataset.manifest();
        out.printf("train: %,d images %dx%dx%d from %s (split %s)%n", count, shape.channels(), shape.height(),
                shape.width(), settings.dataPath(), settings.split());
        try (PointerScope scope = new PointerScope()) {
            out.printf("train: %s%n", spec.build(0).describe());
        }
        String placement = sharded
                ? String.format("data sharded (at most %,d images per worker, one stage per epoch)",
                        ceilDiv(count, workers) + settings.batchSize())
                : "data replicated (every worker holds all images)";
        String sampler = settings.objective().timestepSampler();
        out.printf("train: objective %s%s%s, %d workers x batch %d = global batch %d, %s, lr %g, %d steps, %s, run.dir %s%n",
                settings.objective().label(), spec.unet().learnSigma() ? " (hybrid loss, learned variance)" : "",
                sampler.equals("uniform") ? "" : ", t by " + sampler, workers,
                settings.batchSize(), global, placement, settings.optimizer().lr(), settings.steps(), start, settings.runDir());

        String name = "atdiff train " + settings.objective().label() + " -> " + settings.runDir();
        DataParallelStage stage = new DataParallelStage(sc, name, settings.recovery().maxAttempts(),
                settings.recovery().collectiveTimeout(), settings.threads());
        SerializableConfiguration hadoop = new SerializableConfiguration(sc.hadoopConfiguration());
        String configJson = TrainSettings.toJson(config);
        int[] held = new int[workers];
        List<WorkerOutcome> outcomes;
        try (TrainProgressSource metrics = TrainProgressSource.register();
             ProgressPrinter progress = ProgressPrinter.start(run, out, Duration.ofSeconds(2), metrics)) {
            if (!sharded) {
                TrainPlan plan = new TrainPlan(settings, spec, configJson, startStep, null);
                outcomes = stage.run(replicate(images.map(ImageRow::byId), workers), workers, new TrainWorker(plan, hadoop));
                printRows(outcomes, held, out);
            } else {
                Broadcast<long[]> sortedIds = sc.broadcast(ids);
                long step = startStep;
                do {
                    ShardSpan span = new ShardSpan(dataSeed, step, ShardRouting.spanEnd(step, count, global, settings.steps()));
                    JavaRDD<ImageRow> routed = shard(images, sortedIds, workers, settings.batchSize(), span);
                    TrainPlan plan = new TrainPlan(settings, spec, configJson, step, span);
                    outcomes = stage.run(routed, workers, new TrainWorker(plan, hadoop));
                    if (step == startStep) printRows(outcomes, held, out);
                    else outcomes.forEach(o -> held[o.rank()] = Math.max(held[o.rank()], o.rows()));
                    step = outcomes.get(0).step();
                } while (outcomes.stream().allMatch(WorkerOutcome::completed) && step < settings.steps());
                sortedIds.destroy();
            }
        }
        Optional<WorkerOutcome> stopped = outcomes.stream().filter(o -> !o.completed()).findFirst();
        if (stopped.isPresent()) {
            Optional<Path> good = run.latestCheckpoint();
            throw new IllegalStateException("train stopped: " + stopped.get().nonFiniteReason() + "; "
                    + good.map(p -> "the last good checkpoint " + p + " is intact").orElse("no checkpoint was written")
                    + " (try a lower train.lr or train.grad-clip > 0)");
        }
        Outcome o = outcome(run, Arrays.stream(held).boxed().toList());
        out.printf("train: done at step %d; checkpoint %s%n", o.step(), o.checkpoint());
        return o;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** One line per worker naming the rows it holds; records them in {@code held}. */
    private static void printRows(List<WorkerOutcome> outcomes, int[] held, PrintStream out) {
        for (WorkerOutcome o : outcomes) {
            held[o.rank()] = Math.max(held[o.rank()], o.rows());
            out.printf("train: worker %d holds %,d images%n", o.rank(), o.rows());
        }
    }

    /** The ids of the selected images in order; an id that occurs twice is an error naming data.path. */
    private long[] sortedIds(SparkSession spark) {
        try {
            return dataset.sortedIds(spark, settings.split());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("data.path " + e.getMessage(), e);
        }
    }

    private static Outcome outcome(RunDirectory run, List<Integer> rowsPerWorker) throws IOException {
        Path latest = run.latestCheckpoint().orElseThrow(() -> new IllegalStateException("no checkpoint in " + run.root()));
        List<String> lines = run.metricsLines();
        long step = Long.parseLong(latest.getName().replaceAll("\\D", ""));
        return new Outcome(step, latest, lines.isEmpty() ? "" : lines.get(lines.size() - 1), rowsPerWorker);
    }

    /**
     * The samples of {@code span} routed to their workers ({@link ShardRouting}): partition w holds worker w's
     * (until - from) x batch samples, each keyed by its sample number. {@code sortedIds} gives each image its index.
     */
    static JavaRDD<ImageRow> shard(JavaRDD<DatasetImage> images, Broadcast<long[]> sortedIds, int workers, int batch,
                                   ShardSpan span) {
        return images.mapPartitionsToPair(rows -> {
            long[] ids = sortedIds.value();
            ShardRouting routing = new ShardRouting(ids.length, span.dataSeed(), workers, batch, span.from(), span.until());
            Stream<DatasetImage> stream = StreamSupport.stream(Spliterators.spliteratorUnknownSize(rows, Spliterator.ORDERED), false);
            return stream.flatMap(image -> routing.samples(Arrays.binarySearch(ids, image.id())).stream()
                    .map(n -> new Tuple2<>(routing.worker(n), new ImageRow(n, image)))).iterator();
        }).partitionBy(new HashPartitioner(workers)).values();
    }

    /** Every image in each of the {@code workers} partitions (partition w holds the copies keyed w). */
    static JavaRDD<ImageRow> replicate(JavaRDD<ImageRow> images, int workers) {
        List<Integer> ranks = IntStream.range(0, workers).boxed().collect(Collectors.toCollection(ArrayList::new));
        return images.flatMapToPair(r -> ranks.stream().map(w -> new Tuple2<>(w, r)).iterator())
                .partitionBy(new HashPartitioner(workers)).values();
    }
}
