package org.atdiff.jobs.train;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.Checkpoint;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train job's code path on an embedded local[2] Spark: equivalence, resume, recovery, stops, validation. */
class DistributedTrainerTest {
    private static SparkSession spark;
    @TempDir
    static Path shared;
    private static Path data;

    @BeforeAll
    static void start() throws Exception {
        spark = TorchSparkSession.builder("local[2]", "DistributedTrainerTest", 1).config("spark.ui.enabled", "false")
                // known only to the session: the test file system of runOnAFileSystemOnlyTheSessionKnows
                .config("spark.hadoop.fs." + RecordingFileSystem.SCHEME + ".impl", RecordingFileSystem.class.getName())
                .config("spark.hadoop.fs." + RecordingFileSystem.SCHEME + ".impl.disable.cache", "true")
                .config("spark.hadoop." + RecordingFileSystem.KEY, "from-the-session")
                .getOrCreate();
        data = TinyDataset.write(spark, shared.resolve("data"), 40, 8);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** A tiny AT run: 8x8 images, T = 100, K = 2 replays, 2 workers of batch 4, checkpoints every 2 steps. */
    static Config config(Path data, Path run, String... overrides) {
        List<String> o = new ArrayList<>(List.of("data.path=" + data, "run.dir=" + run, "model.preset=tiny",
                "diffusion.timesteps=100", "train.objective=at", "at.steps=2", "train.workers=2", "train.batch-size=4",
                "train.steps=3", "train.lr=2e-3", "train.warmup-steps=2", "train.ema-rate=0.9", "train.log-every=1",
                "train.checkpoint-every=2", "train.keep-checkpoints=20", "engine.threads=1",
                "train.collective-timeout=60s", "train.max-attempts=2"));
        o.addAll(List.of(overrides));
        return AtdiffConfig.load(null, o);
    }

    static DistributedTrainer.Outcome train(Config c) throws Exception {
        return DistributedTrainer.prepare(c, new Configuration()).run(spark, System.out);
    }

    static Checkpoint checkpoint(Path run, long step) throws Exception {
        return Checkpoint.load(run.resolve("checkpoints").resolve(RunDirectory.checkpointName(step)));
    }

    static LinkedHashMap<String, float[]> floats(Map<String, Tensor> tensors) {
        LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, HostTensors.toFloats(v)));
        return out;
    }

    static List<Long> metricSteps(Path run) throws Exception {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream().filter(l -> !l.isBlank())
                .map(MetricsLog::step).toList();
    }

    /**
     * Largest |a - b| relative to the largest |a| of each tensor, over all tensors; tensors whose entries all stay
     * below 1e-3 (a bias whose true gradient is zero, moved only by rounding noise) are measured against 1e-3.
     */
    static double maxRelativeDifference(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k), y = b.get(k);
            double scale = 1e-3, diff = 0;
            for (int i = 0; i < x.length; i++) {
                scale = Math.max(scale, Math.abs(x[i]));
                diff = Math.max(diff, Math.abs(x[i] - y[i]));
            }
            worst = Math.max(worst, diff / scale);
        }
        return worst;
    }

    static double maxAbsoluteDifference(Map<String, float[]> a, Map<String, float[]> b) {
        double worst = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k), y = b.get(k);
            for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
        }
        return worst;
    }

    @Test
    void twoWorkersWithBatchBMatchOneWorkerWithBatch2BAcrossAnEpochBoundary() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            // AdamW divides each coordinate by its own gradient scale: a coordinate whose true gradient is zero (a bias
            // just before a GroupNorm with one channel per group) moves by lr * sign(rounding noise). A larger eps keeps
            // the update a smooth function of the gradient, so the comparison measures the all-reduce, not that noise.
            // 40 images, global batch 6, 8 steps: step 7 takes the last 4 images of epoch 0 and the first 2 of epoch 1,
            // so the sharded runs train two spans (steps 1..7 and 8), the second resumed from the step-7 checkpoint.
            Path two = shared.resolve("eq-two"), one = shared.resolve("eq-one"), copies = shared.resolve("eq-replicated");
            java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
            DistributedTrainer.Outcome sharded = DistributedTrainer.prepare(config(data, two, "train.workers=2",
                    "train.batch-size=3", "train.eps=1e-3", "train.steps=8"), new Configuration())
                    .run(spark, new java.io.PrintStream(printed, true));
            String log = printed.toString();
            System.out.print(log);
            train(config(data, one, "train.workers=1", "train.batch-size=6", "train.eps=1e-3", "train.steps=8"));
            Checkpoint a = checkpoint(two, 8), b = checkpoint(one, 8);
            assertTrue(Files.exists(two.resolve("checkpoints").resolve(RunDirectory.checkpointName(7))),
                    "the checkpoint at the epoch's span boundary");
            double model = maxRelativeDifference(floats(a.model()), floats(b.model()));
            double ema = maxRelativeDifference(floats(a.ema()), floats(b.ema()));
            System.out.printf("equivalence: max relative difference of weights %.3g, EMA %.3g%n", model, ema);
            assertTrue(model < 5e-5, "weights differ by " + model);
            assertTrue(ema < 5e-5, "EMA differs by " + ema);
            // each worker held the 7 steps x 3 samples of the first span, never more than ceil(N / W) + B = 23
            assertEquals(List.of(21, 21), sharded.rowsPerWorker());
            assertTrue(log.contains("data sharded (at most 23 images per worker"), log);
            assertTrue(log.contains("train: worker 0 holds 21 images") && log.contains("train: worker 1 holds 21 images"), log);
            // replicated placement visits the same samples with the same workers: the same weights, bit for bit
            DistributedTrainer.Outcome replicated = train(config(data, copies, "train.workers=2", "train.batch-size=3",
                    "train.eps=1e-3", "train.steps=8", "train.data-placement=replicated"));
            assertEquals(List.of(40, 40), replicated.rowsPerWorker());
            floats(checkpoint(copies, 8).model()).forEach((k, v) -> assertArrayEquals(v, floats(a.model()).get(k), k));
            // the runs did train: the weights moved away from the initial ones
            ModelSpec spec = ModelSpec.fromJson(a.modelSpecJson());
            var init = floats(spec.build(ReplicaTrainer.modelSeed(0)).stateDict());
            assertTrue(maxRelativeDifference(init, floats(a.model())) > 1e-3);
            // a sanity check of the measure: another seed gives other weights
            Path other = shared.resolve("eq-other-seed");
            train(config(data, other, "train.workers=1", "train.batch-size=6", "train.eps=1e-3", "train.steps=8", "run.seed=5"));
            assertTrue(maxRelativeDifference(floats(checkpoint(other, 8).model()), floats(b.model())) > 1e-3);
        }
    }

    @Test
    void theSessionsHadoopConfigurationReachesTheWorkersFileSystem() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            // run.dir on a scheme only the session's spark.hadoop.* keys define: a worker opening it with a fresh
            // Configuration would fail with "No FileSystem for scheme"
            Path dir = shared.resolve("recorded-run");
            String run = RecordingFileSystem.SCHEME + "://" + dir.toAbsolutePath();
            RecordingFileSystem.OPENED.clear();
            Config c = config(data, dir, "train.steps=2", "run.dir=\"" + run + "\"");
            DistributedTrainer.prepare(c, spark.sparkContext().hadoopConfiguration()).run(spark, System.out);
            assertEquals(2, checkpoint(dir, 2).step());
            List<String[]> onWorkers = RecordingFileSystem.OPENED.stream()
                    .filter(o -> o[0].startsWith("Executor task launch worker")).toList();
            assertFalse(onWorkers.isEmpty(), "the workers opened run.dir");
            for (String[] o : onWorkers) assertEquals("from-the-session", o[1], "opened by " + o[0]);
        }
    }

    /** Learned variances (hybrid loss) and loss-aware timesteps on a 4-step cosine schedule: warm after 40 pairs. */
    static final String[] LEARNED = {"model.learn-sigma=true", "train.timestep-sampler=loss-second-moment",
        "diffusion.schedule=cosine", "diffusion.timesteps=4"};

    static String[] with(String[] base, String... more) {
        List<String> all = new ArrayList<>(List.of(base));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    /** The loss-second-moment sampler's state in a checkpoint: its loss history and counts. */
    static double[][] history(Checkpoint c) {
        return new double[][] {HostTensors.toDoubles(c.objective().get("timesteps.loss_history")),
            HostTensors.toDoubles(c.objective().get("timesteps.loss_counts"))};
    }

    @Test
    void withTheHybridLossAndLossAwareTimestepsTwoWorkersMatchOneWorkerWithTwiceTheBatch() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Path two = shared.resolve("lsm-two"), one = shared.resolve("lsm-one");
            train(config(data, two, with(LEARNED, "train.workers=2", "train.batch-size=4", "train.eps=1e-3", "train.steps=8")));
            train(config(data, one, with(LEARNED, "train.workers=1", "train.batch-size=8", "train.eps=1e-3", "train.steps=8")));
            Checkpoint a = checkpoint(two, 8), b = checkpoint(one, 8);
            assertTrue(ModelSpec.fromJson(a.modelSpecJson()).unet().learnSigma(), "the checkpoint records learn-sigma");
            double model = maxRelativeDifference(floats(a.model()), floats(b.model()));
            double ema = maxRelativeDifference(floats(a.ema()), floats(b.ema()));
            System.out.printf("hybrid + loss-second-moment equivalence: weights %.3g, EMA %.3g%n", model, ema);
            // 8 steps gather more rounding than the 3 above: with uniform timesteps the same comparison gave 1.7e-5
            assertTrue(model < 5e-5, "weights differ by " + model);
            assertTrue(ema < 5e-5, "EMA differs by " + ema);
            // both replicas' samplers saw every worker's 64 pairs: the same counts, the same losses up to rounding
            double[][] ha = history(a), hb = history(b);
            assertArrayEquals(hb[1], ha[1], 0.0);
            assertArrayEquals(new double[] {10, 10, 10, 10}, ha[1], 0.0, "warmed up: t is drawn by loss after step 5");
            for (int i = 0; i < ha[0].length; i++) assertEquals(hb[0][i], ha[0][i], 1e-5 * Math.abs(hb[0][i]));
            // the same run with uniform timesteps ends elsewhere: the sampler changed the draws
            Path uniform = shared.resolve("lsm-uniform");
            train(config(data, uniform, with(LEARNED, "train.workers=1", "train.batch-size=8", "train.eps=1e-3",
                    "train.steps=8", "train.timestep-sampler=uniform")));
            assertTrue(maxRelativeDifference(floats(checkpoint(uniform, 8).model()), floats(b.model())) > 1e-3);
            assertTrue(checkpoint(uniform, 8).objective().isEmpty());
        }
    }

    @Test
    void aResumedRunRestoresTheLossHistoryAndMatchesAnUninterruptedRun() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Path straight = shared.resolve("lsm-straight"), resumed = shared.resolve("lsm-resumed");
            train(config(data, straight, with(LEARNED, "train.steps=12", "train.objective=plain")));
            train(config(data, resumed, with(LEARNED, "train.steps=8", "train.objective=plain")));
            assertArrayEquals(new double[] {10, 10, 10, 10}, history(checkpoint(resumed, 8))[1], 0.0,
                    "warm before the restart, so a lost history would change the draws");
            train(config(data, resumed, with(LEARNED, "train.steps=12", "train.objective=plain")));
            Checkpoint a = checkpoint(straight, 12), b = checkpoint(resumed, 12);
            floats(a.model()).forEach((k, v) -> assertArrayEquals(v, floats(b.model()).get(k), k));
            assertArrayEquals(history(a)[0], history(b)[0], 0.0);
        }
    }

    @Test
    void nllGivesAFiniteBoundForLearnedAndFixedVariancesWhateverThePartitions() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Path learned = shared.resolve("nll-learned"), fixed = shared.resolve("nll-fixed");
            train(config(data, learned, with(LEARNED, "train.steps=2", "train.workers=1")));
            train(config(data, fixed, "train.steps=2", "train.workers=1", "train.objective=plain",
                    "diffusion.schedule=cosine", "diffusion.timesteps=4"));
            double[] bpd = new double[2];
            for (int p : new int[] {1, 3}) {
                org.atdiff.jobs.sample.EvaluationSettings s = new org.atdiff.jobs.sample.EvaluationSettings("nll", "", learned.toString(), true,
                        data.toString(), org.atdiff.prep.DatasetSplit.TEST, 0, 3, p, 0, 1, shared.resolve("nll-out-" + p).toString(), false);
                org.atdiff.jobs.nll.NllJob.Result r = org.atdiff.jobs.nll.NllJob.run(spark, s);
                assertEquals(8, r.count(), "the 8 test images");
                assertTrue(Double.isFinite(r.bitsPerDim()) && r.bitsPerDim() > 0, "bits/dim " + r.bitsPerDim());
                bpd[p == 1 ? 0 : 1] = r.bitsPerDim();
                String json = Files.readString(shared.resolve("nll-out-" + p).resolve("nll.json"));
                assertTrue(json.contains("\"variance\" : \"learned\"") && json.contains("\"timesteps\" : 4"), json);
            }
            // equal to float32 rounding, which differs with the batches the partitions make (5e-9 relative on Zen 5's
            // channels-last path); noise drawn by partition would move the bound by percents
            assertEquals(bpd[0], bpd[1], 1e-6 * bpd[0], "images draw their noise by id, not by partition");
            org.atdiff.jobs.nll.NllJob.Result r = org.atdiff.jobs.nll.NllJob.run(spark, new org.atdiff.jobs.sample.EvaluationSettings("nll",
                    "", fixed.toString(), true, data.toString(), org.atdiff.prep.DatasetSplit.TEST, 5, 2, 0, 0, 1, shared.resolve("nll-fixed-out").toString(), false));
            assertEquals(5, r.count());
            assertTrue(Double.isFinite(r.bitsPerDim()), "fixed variance: " + r.bitsPerDim());
            assertTrue(Files.readString(shared.resolve("nll-fixed-out").resolve("nll.json")).contains("fixed-large"));
            // an existing nll.json is kept unless output.overwrite
            String m = assertThrows(IllegalStateException.class, () -> org.atdiff.jobs.nll.NllJob.run(spark,
                    new org.atdiff.jobs.sample.EvaluationSettings("nll", "", fixed.toString(), true, data.toString(), org.atdiff.prep.DatasetSplit.TEST, 5, 2, 0, 0, 1,
                            shared.resolve("nll-fixed-out").toString(), false))).getMessage();
            assertTrue(m.contains("output.overwrite"), m);
        }
    }

    @Test
    void aRerunWithMoreStepsResumesAndMatchesAnUninterruptedRun() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            // epochs of 40 / 8 = 5 steps: the rerun resumes at step 7, mid-epoch, and crosses the next boundary at 10
            Path straight = shared.resolve("straight"), resumed = shared.resolve("resumed");
            train(config(data, straight, "train.steps=12"));
            train(config(data, resumed, "train.steps=7"));
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), metricSteps(resumed));
            DistributedTrainer again = DistributedTrainer.prepare(config(data, resumed, "train.steps=12"), new Configuration());
            assertEquals(7, again.startStep());
            DistributedTrainer.Outcome o = again.run(spark, System.out);
            assertEquals(12, o.step());
            assertEquals(List.of(12, 12), o.rowsPerWorker(), "the rest of epoch 1: steps 8..10, 3 x 4 samples each");
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), metricSteps(resumed));
            Checkpoint a = checkpoint(straight, 12), b = checkpoint(resumed, 12);
            assertEquals(floats(a.model()).keySet(), floats(b.model()).keySet());
            floats(a.model()).forEach((k, v) -> assertArrayEquals(v, floats(b.model()).get(k), k));
            floats(a.ema()).forEach((k, v) -> assertArrayEquals(v, floats(b.ema()).get(k), "ema " + k));
            floats(a.optimizer()).forEach((k, v) -> assertArrayEquals(v, floats(b.optimizer()).get(k), "optim " + k));
            assertEquals(a.rng().get(ReplicaTrainer.DROPOUT).counter(), b.rng().get(ReplicaTrainer.DROPOUT).counter());
            // metrics lines of the resumed steps equal the uninterrupted run's, except the timing
            List<String> x = Files.readAllLines(straight.resolve("metrics.jsonl")), y = Files.readAllLines(resumed.resolve("metrics.jsonl"));
            for (int i = 0; i < 12; i++) {
                assertEquals(MetricsLog.parse(x.get(i)).get("loss"), MetricsLog.parse(y.get(i)).get("loss"), "step " + (i + 1));
            }
            // a rerun at the end has nothing to do
            assertEquals(12, train(config(data, resumed, "train.steps=12")).step());
        }
    }

    @Test
    void aWorkerFailingMidRunIsRelaunchedFromTheLatestCheckpoint() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Path run = shared.resolve("flaky"), reference = shared.resolve("flaky-reference");
            Files.createDirectories(run);
            // rank 1 fails after step 3 of attempt 1 (mid-epoch): attempt 2 resumes the epoch's stage from the step-2
            // checkpoint with the same routed samples, and the next epoch's stage (steps 6, 7) is still attempt 2
            Files.writeString(run.resolve(FailureInjection.FILE), new FailureInjection(1, 3, 1).text());
            DistributedTrainer.Outcome o = train(config(data, run, "train.steps=7"));
            assertEquals(7, o.step());
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), metricSteps(run));
            assertTrue(Files.readString(run.resolve("progress.json")).contains("\"attempt\":2"));
            train(config(data, reference, "train.steps=7"));
            floats(checkpoint(reference, 7).model()).forEach((k, v) ->
                    assertArrayEquals(v, floats(uncheckedCheckpoint(run, 7).model()).get(k), k));
        }
    }

    private static Checkpoint uncheckedCheckpoint(Path run, long step) {
        try {
            return checkpoint(run, step);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aNonFiniteLossStopsTheRunWithTheLastGoodCheckpointIntact() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Path run = shared.resolve("diverging");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> train(config(data, run,
                    "train.objective=plain", "train.lr=1e30", "train.warmup-steps=0", "train.grad-clip=0",
                    "train.steps=50", "train.checkpoint-every=1")));
            System.out.println(e.getMessage());
            assertTrue(e.getMessage().contains("not finite") && e.getMessage().matches("(?s).*training step \\d+.*"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("attempts"), "no relaunch: " + e.getMessage());
            long failed = Long.parseLong(e.getMessage().replaceAll("(?s).*training step (\\d+).*", "$1"));
            Checkpoint last = checkpoint(run, failed - 1);
            assertEquals(failed - 1, last.step());
            assertTrue(e.getMessage().contains(RunDirectory.checkpointName(failed - 1)), e.getMessage());
            assertFalse(Files.exists(run.resolve("checkpoints").resolve(RunDirectory.checkpointName(failed))));
        }
    }

    @Test
    void badSettingsAreRefusedBeforeAnySparkWorkWithTheKeyNamed() throws Exception {
        Path run = shared.resolve("never");
        String[][] cases = {
            {"train.steps=0", "train.steps"}, {"train.batch-size=0", "train.batch-size"}, {"train.lr=0", "train.lr"},
            {"train.ema-rate=1", "train.ema-rate"}, {"at.rho=-1", "at.rho"}, {"at.norm=l1", "at.norm"},
            {"train.objective=fgsm", "train.objective"}, {"train.checkpoint-every=0", "train.checkpoint-every"},
            {"data.split=val", "data.split"}, {"train.precision=fp16", "train.precision"},
            {"model.preset=huge", "model"}, {"train.timestep-sampler=importance", "train.timestep-sampler"},
        };
        for (String[] c : cases) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> DistributedTrainer.prepare(config(data, run, c[0]), new Configuration()), c[0]).getMessage();
            assertTrue(m.contains(c[1]), c[0] + " -> " + m);
        }
        String m = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.prepare(
                config(shared.resolve("nowhere"), run), new Configuration())).getMessage();
        assertTrue(m.contains("data.path") && m.contains("does not exist"), m);
        Files.createDirectories(shared.resolve("no-manifest"));
        m = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.prepare(
                config(shared.resolve("no-manifest"), run), new Configuration())).getMessage();
        assertTrue(m.contains("data.path") && m.contains("manifest.json"), m);
        Path broken = Files.createDirectories(shared.resolve("broken-manifest"));
        Files.writeString(broken.resolve("manifest.json"), "{\"format\": \"atdiff-dataset/1\"}");
        m = assertThrows(org.atdiff.io.MalformedFileException.class, () -> DistributedTrainer.prepare(
                config(broken, run), new Configuration())).getMessage();
        assertTrue(m.endsWith(broken.resolve("manifest.json") + ": field labels is missing"), m);
        assertFalse(Files.exists(run), "nothing written");
    }

    @Test
    void resumingWithAnotherModelShapeIsRefused() throws Exception {
        Path run = shared.resolve("reshaped");
        train(config(data, run, "train.steps=2", "train.workers=1"));
        String m = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.prepare(
                config(data, run, "train.steps=4", "model.base-channels=64"), new Configuration())).getMessage();
        assertTrue(m.contains("another shape") && m.contains("run.dir"), m);
    }

    @Test
    void fineTuningStartsFromAnotherRunsWeightsWithAFreshOptimizer() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Path base = shared.resolve("plain-base"), tuned = shared.resolve("at-tuned");
            train(config(data, base, "train.objective=plain", "train.steps=2", "train.workers=1"));
            DistributedTrainer t = DistributedTrainer.prepare(config(data, tuned, "train.init-checkpoint=" + base,
                    "train.steps=1", "train.workers=1", "train.checkpoint-every=1"), new Configuration());
            assertEquals(0, t.startStep());
            t.run(spark, System.out);
            Checkpoint start = checkpoint(base, 2), after = checkpoint(tuned, 1);
            assertEquals(1, after.step());
            // one AT step with K = 2 replays from the base weights: AdamW's own step count is 2, not 2 + 2
            assertEquals(2L, HostTensors.toLongs(after.optimizer().get("step"))[0]);
            // two AdamW updates at lr <= 2e-3 move no coordinate by more than a few lr: it started from the base weights
            double moved = maxAbsoluteDifference(floats(start.model()), floats(after.model()));
            assertTrue(moved > 0 && moved < 1e-2, "moved " + moved);
        }
    }
}
