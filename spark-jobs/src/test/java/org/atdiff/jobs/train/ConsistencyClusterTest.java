package org.atdiff.jobs.train;

import static org.atdiff.jobs.train.DistributedTrainerTest.checkpoint;
import static org.atdiff.jobs.train.DistributedTrainerTest.config;
import static org.atdiff.jobs.train.DistributedTrainerTest.floats;
import static org.atdiff.jobs.train.DistributedTrainerTest.maxAbsoluteDifference;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.io.Checkpoint;
import org.atdiff.jobs.cluster.TestSparkHome;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.objective.CheckpointedState;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consistency distillation in the train job on two executor JVMs of a local-cluster master: a short plain run makes
 * the teacher, then cd with and without free AT distils it; a cd run resumed from its checkpoint restores the target
 * network and matches an uninterrupted run.
 */
class ConsistencyClusterTest {
    @Test
    void distillsATeacherWithAndWithoutAdversarialTrainingAndResumesTheTargetNetwork(@TempDir Path dir) throws Exception {
        TestSparkHome.ensure();
        SparkSession spark = TorchSparkSession.builder("local-cluster[2,1,2048]", "ConsistencyClusterTest", 1)
                .config("spark.ui.enabled", "false").getOrCreate();
        try (PointerScope scope = new PointerScope()) {
            // Spark re-checks a barrier stage's slots only every 15 s: let both executors register first.
            for (int i = 0; spark.sparkContext().getExecutorIds().size() < 2; i++) {
                if (i == 1500) throw new IllegalStateException("the local-cluster executors did not register in 5 minutes");
                Thread.sleep(200);
            }
            Path data = TinyDataset.write(spark, dir.resolve("data"), 40, 8), teacher = dir.resolve("teacher");
            run(spark, config(data, teacher, "train.objective=plain", "train.workers=0", "train.steps=2"));
            Checkpoint t = checkpoint(teacher, 2);

            // plain cd: 3 steps straight, and 2 steps then a resumed third
            Path straight = dir.resolve("cd"), resumed = dir.resolve("cd-resumed");
            run(spark, cd(data, straight, teacher, "train.steps=3"));
            Checkpoint first = run(spark, cd(data, resumed, teacher, "train.steps=2"));
            assertEquals(2, first.step());
            run(spark, cd(data, resumed, teacher, "train.steps=3"));
            Checkpoint a = checkpoint(straight, 3), b = checkpoint(resumed, 3);
            assertEquals(a.model().keySet(), target(a).keySet(), "the cd checkpoint holds the target network");
            floats(target(a)).forEach((k, v) -> assertArrayEquals(v, floats(target(b)).get(k), "target " + k));
            floats(a.model()).forEach((k, v) -> assertArrayEquals(v, floats(b.model()).get(k), k));
            // the target starts as the teacher's EMA weights (as the student does) and follows the student after every
            // update: theta^-_k = mu theta^-_{k-1} + (1 - mu) theta_k with mu = cm.ema-rate = 0.5
            Map<String, float[]> previous = floats(t.ema());
            for (int k = 1; k <= 3; k++) {
                Checkpoint ck = checkpoint(straight, k);
                Map<String, float[]> student = floats(ck.model()), target = floats(target(ck));
                for (String name : previous.keySet()) {
                    float[] p = previous.get(name), s = student.get(name), want = new float[p.length];
                    for (int i = 0; i < p.length; i++) want[i] = 0.5f * p[i] + 0.5f * s[i];
                    assertArrayEquals(want, target.get(name), 1e-6f, "target " + name + " at step " + k);
                }
                assertTrue(maxAbsoluteDifference(previous, target) > 0, "the target moved at step " + k);
                previous = target;
            }
            // step 1's student starts from the teacher's EMA weights: one AdamW step moves a coordinate by about lr
            assertTrue(maxAbsoluteDifference(floats(t.ema()), floats(checkpoint(straight, 1).model())) < 3e-3);
            metrics(straight, 3, false);
            assertEquals("cd", TrainSettings.trainedObjective(a.configJson(), "cd").name());

            // cd with free AT, K = 2 replays
            Path at = dir.resolve("cd-at");
            Checkpoint c = run(spark, cd(data, at, teacher, "train.steps=2", "train.adversarial=true", "at.steps=2"));
            assertEquals(a.model().keySet(), target(c).keySet());
            assertTrue(TrainSettings.parse(c.configJson()).getBoolean("train.adversarial"));
            metrics(at, 2, true);
        } finally {
            spark.stop();
        }
    }

    /** The target network a cd checkpoint holds (its objective state under target.). */
    private static Map<String, org.bytedeco.pytorch.Tensor> target(Checkpoint c) {
        return CheckpointedState.under(Checkpoint.TARGET, c.objective());
    }

    private static Config cd(Path data, Path run, Path teacher, String... more) {
        List<String> o = new java.util.ArrayList<>(List.of("train.objective=cd", "cm.teacher=" + teacher,
                "cm.ema-rate=0.5", "cm.discretization=10", "train.workers=0", "train.checkpoint-every=1",
                "train.lr=1e-3", "train.warmup-steps=0"));
        o.addAll(List.of(more));
        return config(data, run, o.toArray(String[]::new));
    }

    private static Checkpoint run(SparkSession spark, Config c) throws Exception {
        DistributedTrainer.Outcome o = DistributedTrainer.prepare(c, new Configuration()).run(spark, System.out);
        return Checkpoint.load(Path.of(o.checkpoint().toUri().getPath()));
    }

    private static void metrics(Path run, int steps, boolean adversarial) throws Exception {
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(steps, lines.size());
        for (String l : lines) {
            JsonNode n = MetricsLog.parse(l);
            for (String k : List.of("step", "loss", "grad_norm", "lr", "images_per_sec")) assertTrue(n.has(k), k + " in " + l);
            assertTrue(n.get("loss").asDouble() >= 0, l);
            assertEquals(adversarial, n.has("delta_norm"), l);
            if (adversarial) assertTrue(n.get("delta_norm").asDouble() > 0, l);
        }
        JsonNode progress = MetricsLog.parse(Files.readString(run.resolve("progress.json")));
        assertEquals(2, progress.get("workers").asInt(), "train.workers = 0 means one per executor");
    }
}
