package org.atdiff.jobs.robust;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.train.DistributedTrainer;
import org.atdiff.jobs.train.TinyDataset;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eps-mse} on a tiny trained model: paired draws, partition invariance, the attack ordering, bad input. */
class EpsMseJobTest {
    private static SparkSession spark;
    @TempDir
    static Path shared;
    private static Path data, run;

    @BeforeAll
    static void start() throws Exception {
        spark = TorchSparkSession.builder("local[2]", "EpsMseJobTest", 1).config("spark.ui.enabled", "false").getOrCreate();
        data = TinyDataset.write(spark, shared.resolve("data"), 16, 8);
        run = shared.resolve("run");
        DistributedTrainer.prepare(config(shared.resolve("unused"), "train.steps=2"), new Configuration())
                .run(spark, System.out);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static Config config(Path out, String... overrides) {
        List<String> o = new ArrayList<>(List.of("data.path=" + data, "run.dir=" + run, "model.preset=tiny",
                "diffusion.timesteps=100", "train.objective=plain", "train.workers=1", "train.batch-size=4",
                "train.warmup-steps=1", "train.log-every=1", "engine.threads=1", "output.path=" + out,
                "eps-mse.count=0", "eps-mse.batch-size=3", "eps-mse.t-bins=[0, 10, 100]", "eps-mse.radii=[0, 0.1, 0.5]"));
        o.addAll(List.of(overrides));
        return AtdiffConfig.load(null, o);
    }

    @Test
    void cellsArePairedAcrossAttacksAndIndependentOfPartitions() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            List<PerturbedErrorCell> one = EpsMseJob.run(spark, EpsMseSettings.fromConfig(config(shared.resolve("p1"),
                    "eps-mse.partitions=1"))).rows();
            List<PerturbedErrorCell> three = EpsMseJob.run(spark, EpsMseSettings.fromConfig(config(shared.resolve("p3"),
                    "eps-mse.partitions=3"))).rows();
            assertEquals(2 * 3 * 3, one.size(), "2 bins x 3 attacks (the default: random, gradient, network-gradient) x 3 radii");
            for (int i = 0; i < one.size(); i++) {
                PerturbedErrorCell a = one.get(i), b = three.get(i);
                assertEquals(8, a.count(), "the 8 test images, once per bin");
                assertTrue(a.mse() > 0 && Double.isFinite(a.standardError()), a.toString());
                assertEquals(a.mse(), b.mse(), 1e-6 * a.mse(), "images draw by id, not by partition: " + a);
            }
            for (int bin = 0; bin < 2; bin++) {
                PerturbedErrorCell cleanRandom = one.get(bin * 9), cleanGradient = one.get(bin * 9 + 3),
                        cleanNetwork = one.get(bin * 9 + 6);
                assertEquals(0.0, cleanRandom.radius());
                assertEquals("gradient", cleanGradient.attack());
                assertEquals("network-gradient", cleanNetwork.attack());
                assertEquals(cleanRandom.mse(), cleanGradient.mse(), "radius 0 is the same clean error for every attack");
                assertEquals(cleanRandom.mse(), cleanNetwork.mse(), "radius 0 is the same clean error for every attack");
                for (int r = 1; r < 3; r++) {
                    PerturbedErrorCell random = one.get(bin * 9 + r), gradient = one.get(bin * 9 + 3 + r);
                    assertTrue(gradient.mse() > random.mse(), "the ascent direction raises the error more than a random "
                            + "one of the same norm: " + gradient + " vs " + random);
                    assertTrue(gradient.mse() > cleanGradient.mse(), "the ascent step raises the error: " + gradient);
                }
            }
            String json = Files.readString(shared.resolve("p1").resolve("eps-mse.json"));
            assertTrue(json.contains("\"t_bin\" : \"0-10\"") && json.contains("\"attack\" : \"gradient\""), json);
            String table = PerturbedErrorCell.table(one);
            assertTrue(table.startsWith("t ") && table.contains("gradient 0.5"), table);
        }
    }

    @Test
    void aRerunInTheSameSessionIsSkippedAndOtherSettingsAreRefused() throws Exception {
        java.util.Map<String, String> o = new java.util.LinkedHashMap<>(java.util.Map.of("data.path", data.toString(),
                "run.dir", run.toString(), "output.path", shared.resolve("rerun").toString(), "eps-mse.count", "2",
                "eps-mse.radii", "[0]", "eps-mse.t-bins", "[0, 100]", "engine.threads", "1"));
        org.atdiff.jobs.command.CommandResult first = org.atdiff.jobs.Atdiff.run(spark, "eps-mse", o);
        assertFalse(first.reused());
        assertTrue(org.atdiff.jobs.Atdiff.run(spark, "eps-mse", o).reused(), "the same settings and checkpoint: skipped");
        o.put("eps-mse.seed", "7");
        String refused = assertThrows(IllegalStateException.class, () -> org.atdiff.jobs.Atdiff.run(spark, "eps-mse", o))
                .getMessage();
        assertTrue(refused.contains("eps-mse.seed: 0 -> 7"), refused);
        o.put("output.overwrite", "true");
        assertFalse(org.atdiff.jobs.Atdiff.run(spark, "eps-mse", o).reused());
    }

    @Test
    void badSettingsAndAnExistingOutputAreErrorsNamingTheirKeys() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            String beyond = assertThrows(IllegalArgumentException.class, () -> EpsMseJob.run(spark, EpsMseSettings.fromConfig(
                    config(shared.resolve("beyond"), "eps-mse.t-bins=[0, 500]")))).getMessage();
            assertTrue(beyond.contains("eps-mse.t-bins") && beyond.contains("100 timesteps"), beyond);
            String order = assertThrows(IllegalArgumentException.class, () -> EpsMseSettings.fromConfig(
                    config(shared.resolve("order"), "eps-mse.t-bins=[0, 50, 50]"))).getMessage();
            assertTrue(order.contains("eps-mse.t-bins must increase"), order);
            String attack = assertThrows(IllegalArgumentException.class, () -> EpsMseSettings.fromConfig(
                    config(shared.resolve("attack"), "eps-mse.attacks=[pgd]"))).getMessage();
            assertTrue(attack.contains("eps-mse.attacks 'pgd'"), attack);
            String radius = assertThrows(IllegalArgumentException.class, () -> EpsMseSettings.fromConfig(
                    config(shared.resolve("radius"), "eps-mse.radii=[-1]"))).getMessage();
            assertTrue(radius.contains("eps-mse.radii"), radius);
            Path out = shared.resolve("twice");
            EpsMseJob.run(spark, EpsMseSettings.fromConfig(config(out, "eps-mse.count=2", "eps-mse.radii=[0]")));
            String exists = assertThrows(IllegalStateException.class, () -> EpsMseJob.run(spark, EpsMseSettings.fromConfig(
                    config(out, "eps-mse.count=2", "eps-mse.radii=[0]")))).getMessage();
            assertTrue(exists.contains("output.overwrite"), exists);
        }
    }
}
