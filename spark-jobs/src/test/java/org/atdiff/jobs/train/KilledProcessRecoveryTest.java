package org.atdiff.jobs.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.cluster.TestSparkHome;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.deploy.JavaProcess;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real process kills mid-run ({@code kill -9}, SIGKILL: no shutdown hook, no cleanup): an executor JVM of a
 * {@code local-cluster[2,1,2048]} master, and a {@code train} driver JVM on {@code local[2]} relaunched with
 * {@code train.take-over-lease=true}. Both runs must finish with {@code metrics.jsonl} holding every step once, resume
 * from the checkpoint that was the latest at the kill (at most {@code train.checkpoint-every} steps recomputed), and
 * end with the weights of an uninterrupted run.
 */
class KilledProcessRecoveryTest {
    static final int STEPS = 12, CHECKPOINT_EVERY = 4;
    private static SparkSession spark;
    @TempDir
    static Path shared;
    private static Path data;
    private static Map<String, float[]> uninterrupted;

    @BeforeAll
    static void start() throws Exception {
        TestSparkHome.ensure();
        spark = TorchSparkSession.builder("local-cluster[2,1,2048]", "KilledProcessRecoveryTest", 1)
                .config("spark.ui.enabled", "false").getOrCreate();
        // Spark re-checks a barrier stage's slots only every 15 s: let both executors register first.
        awaitExecutors(2);
        data = TinyDataset.write(spark, shared.resolve("data"), 32, 16);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private static void awaitExecutors(int n) throws InterruptedException {
        for (int i = 0; spark.sparkContext().getExecutorIds().size() < n; i++) {
            if (i == 1500) throw new IllegalStateException("the local-cluster executors did not register in 5 minutes");
            Thread.sleep(200);
        }
    }

    /** A tiny plain run: 16x16 images, 2 workers of batch 4, checkpoints every 4 of 12 steps, metrics every step. */
    static List<String> settings(Path run) {
        return List.of("data.path=" + data, "run.dir=" + run, "model.preset=tiny", "diffusion.timesteps=100",
                "train.objective=plain", "train.workers=2", "train.batch-size=4", "train.steps=" + STEPS,
                "train.lr=2e-3", "train.warmup-steps=2", "train.ema-rate=0.9", "train.log-every=1",
                "train.checkpoint-every=" + CHECKPOINT_EVERY, "train.keep-checkpoints=20", "engine.threads=1",
                "train.collective-timeout=30s", "train.max-attempts=2");
    }

    private static Config config(Path run) {
        return AtdiffConfig.load(null, settings(run));
    }

    /** The final model weights of an uninterrupted run (on the local-cluster), computed once. */
    private static synchronized Map<String, float[]> uninterrupted() throws Exception {
        if (uninterrupted == null) {
            Path run = shared.resolve("uninterrupted");
            try (PointerScope scope = new PointerScope()) {
                DistributedTrainer.prepare(config(run), new Configuration()).run(spark, System.out);
                uninterrupted = DistributedTrainerTest.floats(DistributedTrainerTest.checkpoint(run, STEPS).model());
            }
        }
        return uninterrupted;
    }

    /** The step of progress.json (written by rank 0 after every step) in the given attempt, or -1. */
    private static long progressStep(Path run, int attempt) throws Exception {
        Path p = run.resolve("progress.json");
        if (!Files.exists(p)) return -1;
        String text = Files.readString(p);
        if (text.isBlank()) return -1;
        JsonNode n = MetricsLog.parse(text);
        return n.get("attempt").asInt() == attempt ? n.get("step").asLong() : -1;
    }

    /** Waits until attempt 1 has passed the first checkpoint (step CHECKPOINT_EVERY + 1) and returns that step. */
    private static long awaitMidRun(Path run, java.util.function.BooleanSupplier alive) throws Exception {
        for (int i = 0; i < 6000; i++) {
            long step = progressStep(run, 1);
            if (step > CHECKPOINT_EVERY) {
                assertTrue(step < STEPS, "the run reached step " + step + " before the kill; it is not mid-run");
                return step;
            }
            assertTrue(alive.getAsBoolean(), "the run ended before the kill");
            Thread.sleep(20);
        }
        throw new AssertionError("the run did not pass step " + CHECKPOINT_EVERY + " in 2 minutes");
    }

    /** The step of the newest checkpoint (what a relaunch resumes from). */
    private static long latestCheckpointStep(Path run) throws Exception {
        return Long.parseLong(Files.readString(run.resolve("checkpoints/latest")).trim().replaceAll("\\D", ""));
    }

    /**
     * The executor JVMs of the local-cluster: the local workers run in this JVM and launch them as child processes
     * ({@code org.apache.spark.executor.CoarseGrainedExecutorBackend}).
     */
    private static List<ProcessHandle> executorProcesses() {
        return ProcessHandle.current().descendants()
                .filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend")).toList();
    }

    /** A process's command line from /proc (ProcessHandle.Info cuts long ones), or "" once it is gone. */
    private static String commandLine(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"))).replace('\0', ' ');
        } catch (java.io.IOException e) {
            return p.info().commandLine().orElse("");
        }
    }

    /** Every step once in order, at most CHECKPOINT_EVERY recomputed, the uninterrupted run's weights. */
    private void checkRecovered(Path run, long reached, long resumedFrom) throws Exception {
        assertEquals(LongStream.rangeClosed(1, STEPS).boxed().toList(), DistributedTrainerTest.metricSteps(run));
        long recomputed = reached - resumedFrom;
        System.out.printf("%s: killed after step %d, resumed from step %d: %d steps recomputed%n", run.getFileName(),
                reached, resumedFrom, recomputed);
        assertTrue(resumedFrom >= CHECKPOINT_EVERY && recomputed >= 0 && recomputed <= CHECKPOINT_EVERY,
                "resumed from " + resumedFrom + " after reaching " + reached);
        try (PointerScope scope = new PointerScope()) {
            Map<String, float[]> got = DistributedTrainerTest.floats(DistributedTrainerTest.checkpoint(run, STEPS).model());
            uninterrupted().forEach((k, v) -> assertArrayEquals(v, got.get(k), k));
        }
    }

    @Test
    void anExecutorKilledMidRunIsReplacedAndTheRunResumesFromTheLatestCheckpoint() throws Exception {
        Path run = shared.resolve("executor-killed");
        long[] reached = new long[1], resumedFrom = new long[1];
        Thread killer = new Thread(() -> {
            try {
                awaitMidRun(run, () -> true);
                List<ProcessHandle> executors = executorProcesses();
                assertEquals(2, executors.size(), () -> "executor JVMs of the local-cluster among "
                        + ProcessHandle.current().descendants().map(p -> p.pid() + " " + commandLine(p)).toList());
                executors.get(0).destroyForcibly(); // SIGKILL
                executors.get(0).onExit().get();
                Thread.sleep(500); // the survivor cannot finish a step alone: progress.json holds the last one
                reached[0] = progressStep(run, 1);
                resumedFrom[0] = latestCheckpointStep(run);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<Throwable> killerFailure = new ArrayList<>();
        killer.setUncaughtExceptionHandler((t, e) -> killerFailure.add(e));
        killer.start();
        try (PointerScope scope = new PointerScope()) {
            DistributedTrainer.Outcome o = DistributedTrainer.prepare(config(run), new Configuration()).run(spark, System.out);
            assertEquals(STEPS, o.step());
        }
        killer.join();
        if (!killerFailure.isEmpty()) throw new AssertionError("the executor kill failed", killerFailure.get(0));
        assertTrue(Files.readString(run.resolve("progress.json")).contains("\"attempt\":2"), "relaunched");
        checkRecovered(run, reached[0], resumedFrom[0]);
    }

    @Test
    void aTrainDriverKilledMidRunIsRelaunchedAndResumesFromTheLatestCheckpoint() throws Exception {
        Path run = shared.resolve("driver-killed");
        List<String> args = new ArrayList<>(List.of("train", "spark.master=local[2]"));
        args.addAll(settings(run));
        String cp = System.getProperty("java.class.path");
        long reached, resumedFrom;
        try (JavaProcess driver = JavaProcess.start(cp, "org.atdiff.jobs.Atdiff", args, Map.of(),
                shared.resolve("driver-1.log"))) {
            awaitMidRun(run, driver::isAlive);
            driver.kill(); // SIGKILL
            reached = progressStep(run, 1);
            resumedFrom = latestCheckpointStep(run);
        }
        assertTrue(Files.exists(run.resolve("lease.json")), "the killed driver's lease is left behind");
        args.add("train.take-over-lease=true");
        try (JavaProcess relaunched = JavaProcess.start(cp, "org.atdiff.jobs.Atdiff", args, Map.of(),
                shared.resolve("driver-2.log"))) {
            int status = relaunched.waitFor(3);
            String log = Files.readString(relaunched.log);
            assertEquals(0, status, log);
            assertTrue(log.contains("resuming from " + RunDirectory.checkpointName(resumedFrom)), log);
        }
        assertFalse(Files.exists(run.resolve("lease.json")), "the relaunch releases the lease");
        checkRecovered(run, reached, resumedFrom);
    }
}
