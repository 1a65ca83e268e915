package org.atdiff.jobs.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.Checkpoint;
import org.atdiff.jobs.cluster.TestSparkHome;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train job on two executor JVMs of a local-cluster master: one worker per executor, AT, checkpoints. */
class TrainClusterTest {
    @Test
    void trainsWithAdversarialTrainingOnTwoExecutorsAndWritesCheckpoints(@TempDir Path dir) throws Exception {
        TestSparkHome.ensure();
        SparkSession spark = TorchSparkSession.builder("local-cluster[2,1,2048]", "TrainClusterTest", 1)
                .config("spark.ui.enabled", "false").getOrCreate();
        try (PointerScope scope = new PointerScope()) {
            // Spark re-checks a barrier stage's slots only every 15 s: let both executors register first.
            for (int i = 0; spark.sparkContext().getExecutorIds().size() < 2; i++) {
                if (i == 1500) throw new IllegalStateException("the local-cluster executors did not register in 5 minutes");
                Thread.sleep(200);
            }
            Path data = TinyDataset.write(spark, dir.resolve("data"), 40, 8), run = dir.resolve("run");
            DistributedTrainer.Outcome o = DistributedTrainer.prepare(DistributedTrainerTest.config(data, run,
                    "train.workers=0", "train.steps=4", "train.checkpoint-every=2", "train.keep-checkpoints=1"),
                    new Configuration()).run(spark, System.out);
            assertEquals(4, o.step());
            // sharded: each executor's worker held the 4 steps x 4 samples of the run, at most ceil(40 / 2) + 4
            assertEquals(List.of(16, 16), o.rowsPerWorker());
            assertEquals(List.of("latest", "step-00000004.safetensors"), Files.list(run.resolve("checkpoints"))
                    .map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList());
            assertEquals("step-00000004.safetensors", Files.readString(run.resolve("checkpoints/latest")).trim());
            Checkpoint c = DistributedTrainerTest.checkpoint(run, 4);
            assertEquals(4, c.step());
            assertEquals(8, ModelSpec.fromJson(c.modelSpecJson()).unet().imageSize());
            assertEquals(List.of("data", "noise", "dropout"), List.copyOf(c.rng().keySet()));
            assertEquals(2, TrainSettings.parse(c.configJson()).getInt("at.steps"));
            List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
            assertEquals(4, lines.size());
            for (String l : lines) {
                JsonNode n = MetricsLog.parse(l);
                for (String k : List.of("step", "loss", "grad_norm", "lr", "images_per_sec", "delta_norm")) {
                    assertTrue(n.has(k), k + " in " + l);
                }
                // at step 1 the zero-initialised output layer makes the input gradient, hence the ascent, zero
                if (n.get("step").asLong() > 1) assertTrue(n.get("delta_norm").asDouble() > 0, l);
            }
            JsonNode progress = MetricsLog.parse(Files.readString(run.resolve("progress.json")));
            assertEquals(2, progress.get("workers").asInt(), "train.workers = 0 means one per executor");
            assertTrue(Files.readString(run.resolve("config.conf")).contains("objective"));
        } finally {
            spark.stop();
        }
    }
}
