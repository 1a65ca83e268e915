package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.io.Checkpoint;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.sample.TinyRuns;
import org.atdiff.jobs.train.RunDirectory;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-session API: commands run in the caller's session, which stays alive after each; a train cancelled through
 * its job group throws, keeps the checkpoints it wrote, and resumes from them.
 */
class AtdiffSessionTest {
    @TempDir
    static File dir;
    static SparkSession spark;

    @BeforeAll
    static void session() {
        torch.set_num_threads(1);
        spark = TinyRuns.spark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static void alive() {
        assertFalse(spark.sparkContext().isStopped(), "the caller's session was stopped");
        assertEquals(3, spark.range(3).count(), "the caller's session still runs jobs");
        assertNull(spark.sparkContext().getLocalProperty("spark.jobGroup.id"), "the command's job group was cleared");
    }

    private static Map<String, String> train(String data, File run, long steps) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("data.path", data);
        o.put("run.dir", run.toString());
        o.put("model.preset", "tiny");
        o.put("diffusion.timesteps", "100");
        o.put("train.objective", "plain");
        o.put("train.workers", "1");
        o.put("train.batch-size", "4");
        o.put("train.steps", Long.toString(steps));
        o.put("train.log-every", "1");
        o.put("train.checkpoint-every", "2");
        o.put("engine.threads", "1");
        return o;
    }

    @Test
    void commandsRunInTheCallersSessionAndACancelledTrainKeepsItsCheckpoints() throws Exception {
        String data = new File(dir, "data").toString();
        CommandResult prep = Atdiff.run(spark, "prep", Map.of("input.builtin-count", "40", "image.size", "8",
                "output.path", data));
        assertEquals(java.util.List.of(data), prep.written());
        alive();

        File run = new File(dir, "run");
        CommandResult first = Atdiff.run(spark, "train", train(data, run, 2));
        assertTrue(first.written().get(0).endsWith("step-00000002.safetensors"), first.written().toString());
        assertTrue(first.lastMetrics().contains("\"step\":2"), first.lastMetrics());
        alive();

        // A long train, cancelled from another thread once it has written a checkpoint past the first run's.
        RunDirectory runDir = new RunDirectory(run.toString(), new Configuration());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<CommandResult> longRun = pool.submit(() -> Atdiff.run(spark, "train", train(data, run, 100_000)));
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (latestStep(runDir) < 4) {
                assertFalse(longRun.isDone(), "the long train ended before it was cancelled");
                assertTrue(System.nanoTime() < deadline, "no checkpoint after step 2 within two minutes");
                Thread.sleep(100);
            }
            spark.sparkContext().cancelJobGroup(CommandSession.jobGroup("train", run.toString()));
            ExecutionException e = assertThrows(ExecutionException.class, longRun::get);
            assertInstanceOf(IllegalStateException.class, e.getCause(), String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("stopped after 1 attempt"), e.getCause().getMessage());
        } finally {
            pool.shutdownNow();
        }
        alive();
        assertFalse(new File(run, "lease.json").exists(), "the cancelled train released its lease");

        // Every checkpoint left is complete, and the run resumes from the newest.
        long cancelledAt = latestStep(runDir);
        for (File f : new File(run, "checkpoints").listFiles((d, n) -> n.endsWith(".safetensors"))) {
            try (PointerScope scope = new PointerScope()) {
                Checkpoint c = runDir.read(new Path(f.toURI()), in -> Checkpoint.load(in, f.toString()));
                assertEquals(f.getName(), String.format("step-%08d.safetensors", c.step()));
            }
        }
        CommandResult resumed = Atdiff.run(spark, "train", train(data, run, cancelledAt + 2));
        assertTrue(resumed.written().get(0).endsWith(String.format("step-%08d.safetensors", cancelledAt + 2)),
                resumed.written().toString());
        alive();
    }

    private static long latestStep(RunDirectory run) throws java.io.IOException {
        return run.latestCheckpoint().map(p -> Long.parseLong(p.getName().replaceAll("\\D", ""))).orElse(-1L);
    }
}
