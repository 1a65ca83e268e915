package org.atdiff.jobs.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.jobs.command.PrepJobSettings;
import org.atdiff.jobs.train.DataPlacement;
import org.atdiff.jobs.train.DistributedTrainer;
import org.atdiff.jobs.train.FailureInjection;
import org.atdiff.jobs.train.MetricsLog;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.jobs.train.ShardRouting;
import org.atdiff.prep.DatasetPrep;
import org.atdiff.prep.InputFormat;
import org.atdiff.prep.PreparedDataset;

/**
 * {@code placement}: the peak executor heap of sharded against replicated data placement. prep writes a prepared
 * dataset of {@code bench.placement-images} generated 32x32 RGB shapes; then, once per placement, a fresh Spark
 * session on {@code bench.placement-master} trains {@code bench.placement-preset} with 2 workers. {@code train.steps}
 * is one epoch, so a sharded worker holds what it holds in any long run (one epoch's samples: ceil(N / G) B), and the
 * run is cut after {@code bench.placement-steps} steps by the run directory's {@link FailureInjection} file (each
 * worker has collected its images before step 1). Each executor's live heap is the largest heap in use right after a
 * full collection, measured every {@code bench.placement-probe-interval} by {@link LiveHeapProbe}; its peak
 * {@code JVMHeapMemory} (heap in use, garbage included) comes from Spark's executor metrics ({@link ExecutorHeapPeaks}).
 */
final class PlacementSection implements BenchSection {
    private static final int WORKERS = 2, SIZE = 32;
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[.*");

    @Override
    public String name() {
        return "placement";
    }

    @Override
    public void run(BenchContext c) throws Exception {
        BenchSettings s = c.settings();
        Config base = c.config();
        String data = Path.of(s.output(), "placement-" + s.placementImages()).toString();
        BenchTable t = c.table("placement", "placement", "images", "images_per_worker", "live_heap_mb",
                "live_heap_mb_by_executor", "probes_by_executor", "peak_heap_mb", "peak_heap_mb_by_executor",
                "steps_per_s", "seconds");
        Files.createDirectories(Path.of(s.output()));
        prepare(base, s, data);
        int batch = s.batchSize();
        long epochSteps = ShardRouting.spanEnd(0, s.placementImages(), (long) WORKERS * batch, Long.MAX_VALUE);
        Map<DataPlacement, Double> live = new LinkedHashMap<>(), peak = new LinkedHashMap<>();
        for (DataPlacement placement : List.of(DataPlacement.SHARDED, DataPlacement.REPLICATED)) {
            Path run = Files.createTempDirectory(Path.of(s.output()), "placement-run-");
            Config config = trainConfig(base, s, data, run, placement, epochSteps);
            SparkSession spark = session(s, Map.of("spark.plugins", LiveHeapProbe.class.getName(),
                    LiveHeapProbe.INTERVAL, s.placementProbeInterval().toMillis() + "ms"));
            String application = spark.sparkContext().applicationId();
            ExecutorHeapPeaks peaks = new ExecutorHeapPeaks();
            spark.sparkContext().addSparkListener(peaks);
            long start = System.nanoTime();
            try {
                new RunDirectory(run.toString(), new Configuration()).writeText(FailureInjection.FILE,
                        new FailureInjection(0, s.placementSteps(), 1).text());
                DistributedTrainer trainer = DistributedTrainer.prepare(config, spark.sparkContext().hadoopConfiguration());
                try {
                    trainer.run(spark, System.out);
                    throw new IllegalStateException("placement bench: the run was not cut after " + s.placementSteps() + " steps");
                } catch (IllegalStateException e) {
                    // the cut: rank 0 fails after the step, and its peer's broken collective may be what Spark reports
                    if (!causes(e).contains("injected failure") && reachedStep(run) < s.placementSteps()) throw e;
                }
            } finally {
                spark.stop();
            }
            double seconds = (System.nanoTime() - start) * 1e-9;
            List<Double> peakMb = megabytes(peaks.peaks().values());
            Map<String, LiveHeapProbe.Reading> readings = new TreeMap<>(LiveHeapProbe.maxima(application));
            if (readings.size() > 1) readings.remove("driver");
            List<Double> liveMb = megabytes(readings.values().stream().map(LiveHeapProbe.Reading::maxBytes).toList());
            List<Long> probes = readings.values().stream().map(LiveHeapProbe.Reading::probes).toList();
            live.put(placement, max(liveMb));
            peak.put(placement, max(peakMb));
            long held = placement == DataPlacement.SHARDED ? epochSteps * batch : s.placementImages();
            t.add(placement.label(), s.placementImages(), held, max(liveMb), liveMb, probes, max(peakMb), peakMb,
                    stepsPerSecond(run, WORKERS * batch), seconds);
            deleteQuietly(run);
        }
        t.note(String.format("sharded / replicated live heap: %.3f (target <= 0.6 at W = 2); peak heap: %.3f",
                live.get(DataPlacement.SHARDED) / live.get(DataPlacement.REPLICATED),
                peak.get(DataPlacement.SHARDED) / peak.get(DataPlacement.REPLICATED)));
        t.note(String.format("%s, %d workers x batch %d, preset %s, %d steps of an epoch of %d; steps_per_s is the "
                + "last step's images_per_sec / (W B); seconds include the session, shuffle "
                + "and data collection (and the probe's collections, every %d ms); load average %s", s.placementMaster(),
                WORKERS, batch, s.placementPreset(), s.placementSteps(), epochSteps, s.placementProbeInterval().toMillis(),
                BenchRunner.loadAverage()));
        t.print(System.out);
    }

    /** Writes the generated dataset with prep unless a dataset of that size is already there. */
    private static void prepare(Config base, BenchSettings s, String data) throws Exception {
        Configuration hadoop = new Configuration();
        if (PreparedDataset.isAt(data, hadoop) && PreparedDataset.open(data, hadoop).manifest().rows() == s.placementImages()) {
            System.out.printf("placement: reusing %s%n", data);
            return;
        }
        Config prep = with(base, Map.of("input.path", InputFormat.BUILTIN_PREFIX + "shapes", "input.format", "builtin",
                "input.builtin-count", s.placementImages(), "image.size", SIZE, "image.channels", 3,
                "output.path", data, "output.overwrite", true));
        SparkSession spark = session(s, Map.of());
        try {
            DatasetPrep.run(spark, PrepJobSettings.fromConfig(prep));
        } finally {
            spark.stop();
        }
    }

    private static Config trainConfig(Config base, BenchSettings s, String data, Path run, DataPlacement placement,
                                      long epochSteps) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("data.path", data);
        o.put("data.split", "all");
        o.put("run.dir", run.toString());
        o.put("model.preset", s.placementPreset());
        o.put("train.objective", "plain");
        o.put("train.workers", WORKERS);
        o.put("train.batch-size", s.batchSize());
        o.put("train.steps", epochSteps);
        o.put("train.checkpoint-every", epochSteps);
        o.put("train.max-attempts", 1);
        o.put("train.log-every", 1);
        o.put("train.data-placement", placement.label());
        o.put("engine.threads", 1);
        return with(base, o);
    }

    private static Config with(Config base, Map<String, Object> values) {
        Config c = base;
        for (Map.Entry<String, Object> e : values.entrySet()) c = c.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
        return c.resolve();
    }

    /**
     * A fresh session (fresh executors, so each placement's figures are its own) with executor metrics polled and the
     * Spark properties {@code extra}.
     */
    private static SparkSession session(BenchSettings s, Map<String, String> extra) throws InterruptedException {
        Map<String, String> properties = new LinkedHashMap<>(Map.of("spark.executor.metrics.pollingInterval", "100ms",
                "spark.executor.heartbeatInterval", "1s", "spark.ui.enabled", "false"));
        properties.putAll(extra);
        SparkSession spark = TorchSparkSession.builder(s.placementMaster(), "atdiff bench placement", 1, properties)
                .getOrCreate();
        // a barrier stage re-checks its slots only every 15 s: let every executor register first
        for (int i = 0; LOCAL_CLUSTER.matcher(s.placementMaster()).matches()
                && spark.sparkContext().getExecutorIds().size() < WORKERS; i++) {
            if (i == 1500) throw new IllegalStateException(s.placementMaster() + ": executors did not register in 5 minutes");
            Thread.sleep(200);
        }
        return spark;
    }

    /**
     * The last step's images_per_sec / images per step, from progress.json (metrics.jsonl is written at checkpoints,
     * and the cut run writes none).
     */
    /** The last step rank 0 recorded in progress.json (written before the injected failure), 0 if none. */
    private static long reachedStep(Path run) throws IOException {
        Path progress = run.resolve("progress.json");
        return Files.exists(progress) ? MetricsLog.parse(Files.readString(progress)).get("step").asLong() : 0;
    }

    private static Double stepsPerSecond(Path run, int imagesPerStep) throws IOException {
        Path progress = run.resolve("progress.json");
        if (!Files.exists(progress)) return null;
        return MetricsLog.parse(Files.readString(progress)).get("images_per_sec").asDouble() / imagesPerStep;
    }

    private static List<Double> megabytes(Collection<Long> bytes) {
        List<Double> mb = new ArrayList<>();
        bytes.forEach(b -> mb.add(b / 1048576.0));
        return mb;
    }

    private static double max(List<Double> values) {
        return values.isEmpty() ? Double.NaN : Collections.max(values);
    }

    private static String causes(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable x = e; x != null; x = x.getCause()) b.append(x.getMessage()).append('\n');
        return b.toString();
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileSystem.getLocal(new Configuration()).delete(new org.apache.hadoop.fs.Path(dir.toUri()), true);
        } catch (IOException e) {
            System.out.printf("placement: could not delete %s: %s%n", dir, e.getMessage());
        }
    }
}
