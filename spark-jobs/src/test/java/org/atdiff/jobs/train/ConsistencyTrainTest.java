package org.atdiff.jobs.train;

import static org.atdiff.jobs.train.DistributedTrainerTest.checkpoint;
import static org.atdiff.jobs.train.DistributedTrainerTest.config;
import static org.atdiff.jobs.train.DistributedTrainerTest.floats;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.sampling.StatePerturbation;
import org.atdiff.consistency.ConsistencyFunction;
import org.atdiff.sampling.ConsistencySampler;
import org.atdiff.io.Checkpoint;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.nn.UNet;
import org.atdiff.train.ObjectiveSettings;
import org.atdiff.sampling.DdimSampler;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consistency objectives in the train job on an embedded local[2] Spark: a ct run and its resume, the cd checks
 * made before any Spark work, and how the sampling side reads a checkpoint's objective. Distillation itself runs in
 * {@link ConsistencyClusterTest}.
 */
class ConsistencyTrainTest {
    private static SparkSession spark;
    @TempDir
    static Path shared;
    private static Path data, teacher;

    @BeforeAll
    static void start() throws Exception {
        spark = TorchSparkSession.builder("local[2]", "ConsistencyTrainTest", 1).config("spark.ui.enabled", "false")
                .getOrCreate();
        data = TinyDataset.write(spark, shared.resolve("data"), 40, 8);
        teacher = shared.resolve("teacher");
        train(config(data, teacher, "train.objective=plain", "train.steps=1", "train.workers=1"));
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private static DistributedTrainer.Outcome train(com.typesafe.config.Config c) throws Exception {
        return DistributedTrainer.prepare(c, new Configuration()).run(spark, System.out);
    }

    /** ct with the curriculum over 3 steps (N = 11, 21, 41 points: s0 = 10, K' = 1); 2 workers of batch 4. */
    private static String[] ct(String... more) {
        List<String> o = new java.util.ArrayList<>(List.of("train.objective=ct", "cm.ct-initial-steps=10",
                "cm.ct-final-steps=80", "cm.sigma-data=0.4"));
        o.addAll(List.of(more));
        return o.toArray(String[]::new);
    }

    @Test
    void consistencyTrainingRunsResumesOnTheCurriculumAndRecordsItsObjective() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Path straight = shared.resolve("ct-straight"), resumed = shared.resolve("ct-resumed");
            assertEquals(3, train(config(data, straight, ct("train.steps=3"))).step());
            train(config(data, resumed, ct("train.steps=2")));
            DistributedTrainer again = DistributedTrainer.prepare(config(data, resumed, ct("train.steps=3")),
                    new Configuration());
            assertEquals(2, again.startStep());
            again.run(spark, System.out);
            // the resumed step 3 draws from N(2) = 41 points as the uninterrupted run did: same weights bit for bit
            Checkpoint a = checkpoint(straight, 3), b = checkpoint(resumed, 3);
            floats(a.model()).forEach((k, v) -> assertArrayEquals(v, floats(b.model()).get(k), k));
            floats(a.ema()).forEach((k, v) -> assertArrayEquals(v, floats(b.ema()).get(k), "ema " + k));
            assertTrue(a.objective().isEmpty(), "ct's target is the student: nothing to save");
            List<String> x = Files.readAllLines(straight.resolve("metrics.jsonl")),
                    y = Files.readAllLines(resumed.resolve("metrics.jsonl"));
            assertEquals(3, x.size());
            for (int i = 0; i < 3; i++) {
                JsonNode n = MetricsLog.parse(x.get(i));
                assertTrue(n.get("loss").asDouble() > 0 && !n.has("delta_norm"), x.get(i));
                assertEquals(n.get("loss"), MetricsLog.parse(y.get(i)).get("loss"), "step " + (i + 1));
            }
            // the sampling side tells a consistency model from the checkpoint alone
            ObjectiveSettings o = TrainSettings.trainedObjective(a.configJson(), "ct-straight");
            assertEquals("ct", o.name());
            assertTrue(o.consistencyModel());
            assertEquals(0.4, o.cm().sigmaData());
            ConsistencySampler cm = (ConsistencySampler) o.sampler("cm", 0.0, TimestepSpacing.TRAILING, new int[] {50}, StatePerturbation.NONE);
            UNet net = ModelSpec.fromJson(a.modelSpecJson()).build(0);
            var schedule = ModelSpec.fromJson(a.modelSpecJson()).noiseSchedule();
            assertEquals(0.4, cm.consistencyFunction(net, schedule).parameterization().sigmaData());
            assertArrayEquals(new int[] {50}, cm.renoisingTimes(schedule, 2), "the sampling command's re-noising times");
            assertTrue(o.noisePredictor(net, schedule) instanceof ConsistencyFunction f && f.parameterization().sigmaData() == 0.4);
            assertTrue(o.sampler("ddim", 0.0, TimestepSpacing.TRAILING, new int[0], StatePerturbation.NONE) instanceof DdimSampler);
            String m = assertThrows(IllegalArgumentException.class, () -> o.sampler("dpm-solver++", 0.0,
                    TimestepSpacing.TRAILING, new int[0], StatePerturbation.NONE)).getMessage();
            assertTrue(m.contains("dpm-solver++") && m.contains("integer timesteps"), m);
        }
    }

    @Test
    void aDpmCheckpointIsNotAConsistencyModel() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Checkpoint c = checkpoint(teacher, 1);
            ObjectiveSettings o = TrainSettings.trainedObjective(c.configJson(), "teacher");
            assertEquals("plain", o.name());
            assertFalse(o.consistencyModel());
            String m = assertThrows(IllegalArgumentException.class, () -> o.sampler("cm", 0.0, TimestepSpacing.TRAILING, new int[0], StatePerturbation.NONE)).getMessage();
            assertTrue(m.contains("sample.sampler = cm") && m.contains("plain"), m);
            UNet net = ModelSpec.fromJson(c.modelSpecJson()).build(0);
            assertSame(net, o.noisePredictor(net, ModelSpec.fromJson(c.modelSpecJson()).noiseSchedule()));
        }
    }

    @Test
    void consistencySettingsAreCheckedBeforeAnySparkWork() throws Exception {
        Path run = shared.resolve("cd-never");
        String[][] cases = {
            {"train.objective=cd", "cm.teacher"},
            {"train.objective=plain;train.adversarial=true", "train.adversarial"},
            {"train.objective=cd;cm.teacher=" + teacher + ";train.init-checkpoint=" + teacher, "train.init-checkpoint"},
            {"train.objective=ct;cm.rho=0", "cm.rho"},
            {"train.objective=ct;cm.metric=l1", "cm.metric"},
            {"train.objective=cd;cm.teacher=" + teacher + ";cm.solver=euler", "cm.solver"},
            {"train.objective=ct;cm.sampling-times=[3,5]", "cm.sampling-times"},
            {"train.objective=cd;cm.teacher=" + shared.resolve("missing"), "cm.teacher"},
            {"train.objective=cd;cm.teacher=" + teacher + ";diffusion.timesteps=200", "T = 100"},
            {"train.objective=cd;cm.teacher=" + teacher + ";diffusion.schedule=cosine", "cosine"},
            {"train.objective=cd;cm.teacher=" + teacher + ";model.base-channels=64", "another shape"},
        };
        for (String[] c : cases) {
            String m = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.prepare(
                    config(data, run, c[0].split(";")), new Configuration()), c[0]).getMessage();
            assertTrue(m.contains(c[1]), c[0] + " -> " + m);
        }
        assertFalse(Files.exists(run), "nothing written");
        // a consistency model is no teacher, and a cd run does not resume from another objective's checkpoints
        Path ctRun = shared.resolve("ct-as-teacher");
        train(config(data, ctRun, ct("train.steps=1", "train.workers=1")));
        String m = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.prepare(config(data, run,
                "train.objective=cd", "cm.teacher=" + ctRun), new Configuration())).getMessage();
        assertTrue(m.contains("cm.teacher") && m.contains("DPM teacher"), m);
        m = assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.prepare(config(data, ctRun,
                "train.objective=cd", "cm.teacher=" + teacher, "train.steps=2"), new Configuration())).getMessage();
        assertTrue(m.contains("target network") && m.contains("run.dir"), m);
    }
}
