package org.atdiff.jobs.sample;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.DatasetSchema;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sample job: images independent of partitions and batch size, output layout, configuration. */
class SampleGenerationTest {
    @TempDir
    static File dir;
    static File run;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("spark.ui.enabled", "false");
        torch.set_num_threads(1);
        run = new File(dir, "run");
        TinyRuns.writeRun(run, 8, 3, 3, 7);
    }

    @AfterAll
    static void stop() {
        spark().stop();
    }

    /** The live session (the command test stops the one it used). */
    static SparkSession spark() {
        return TinyRuns.spark();
    }

    static SampleSettings settings(File out, int partitions, int batchSize) {
        return new SampleSettings("", run.toString(), true, 7, List.of("ddpm", "dpm-solver++"), List.of(3), true, 1.017,
                0.0, 5, batchSize, partitions, 1, out.toString(), false);
    }

    static Map<Long, byte[]> images(File set) {
        Map<Long, byte[]> m = new HashMap<>();
        for (Row r : spark().read().parquet(new File(set, "data").toString()).collectAsList()) {
            m.put(r.getLong(r.fieldIndex("id")), DatasetImage.of(r).pixels().chw());
        }
        return m;
    }

    @Test
    void imagesDoNotDependOnPartitionsOrBatchSize() throws Exception {
        File a = new File(dir, "a"), b = new File(dir, "b");
        List<SampleGeneration.WrittenSet> written = SampleGeneration.run(spark(), settings(a, 1, 2));
        SampleGeneration.run(spark(), settings(b, 3, 3));
        assertEquals(List.of("ddpm-nfe3-es", "dpm-solverpp-nfe3-es"),
                written.stream().map(w -> w.folder().getName()).toList());
        for (String set : List.of("ddpm-nfe3-es", "dpm-solverpp-nfe3-es")) {
            Map<Long, byte[]> one = images(new File(a, set)), three = images(new File(b, set));
            assertEquals(7, one.size());
            assertEquals(one.keySet(), three.keySet());
            for (long id : one.keySet()) assertArrayEquals(one.get(id), three.get(id), set + " image " + id);
        }
        Map<Long, byte[]> ddpm = images(new File(a, "ddpm-nfe3-es")), dpm = images(new File(a, "dpm-solverpp-nfe3-es"));
        assertFalse(Arrays.equals(ddpm.get(0L), ddpm.get(1L)), "different samples differ");
        assertFalse(Arrays.equals(ddpm.get(0L), dpm.get(0L)), "different samplers differ");

        File set = new File(a, "ddpm-nfe3-es");
        Row r = spark().read().parquet(new File(set, "data").toString()).filter("id = 4").first();
        assertEquals(DatasetSchema.ROWS.asNullable(), spark().read().parquet(new File(set, "data").toString()).schema());
        assertEquals(4 % 3, r.getInt(r.fieldIndex("label")), "class-conditional labels are i mod classes");
        assertEquals("sample:ddpm:nfe3:es1:4", r.getString(r.fieldIndex("source")));
        assertEquals(8, r.getInt(r.fieldIndex("height")));
        JsonNode meta = new ObjectMapper().readTree(new File(set, "set.json"));
        assertEquals("ddpm", meta.get("sampler").asText());
        assertEquals(3, meta.get("nfe").asInt());
        assertTrue(meta.get("es").asBoolean());
        assertEquals(7, meta.get("count").asInt());
        assertEquals(0, meta.get("step").asLong());
        assertTrue(meta.get("checkpoint").asText().endsWith("step-00000000.safetensors"));
        assertEquals("fixed-small", meta.get("variance").asText(), "ddpm of a fixed-variance model");
        assertEquals("none", new ObjectMapper().readTree(new File(a, "dpm-solverpp-nfe3-es/set.json")).get("variance").asText());
        org.atdiff.diffusion.ModelSpec learned = new org.atdiff.diffusion.ModelSpec(
                org.atdiff.nn.UNetConfig.preset("tiny", 8, 3).withLearnSigma(true), "linear", 100);
        assertEquals("learned", SampleGeneration.variance(new SampleSet("ddpm", 10, false, "none", 0, "trailing"), learned));
        assertEquals("none", SampleGeneration.variance(new SampleSet("ddim", 10, false, "none", 0, "trailing"), learned));
        byte[] png = Files.readAllBytes(new File(set, "grid.png").toPath());
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SampleGeneration.run(spark(), settings(a, 1, 2)));
        assertTrue(e.getMessage().contains("output.overwrite"), e.getMessage());
    }

    @Test
    void configurationTakesOneValueOrAList() throws Exception {
        File conf = new File(dir, "one.conf");
        Files.writeString(conf.toPath(), "sample { sampler = \"dpm-solver++\", steps = 4 }\n");
        SampleSettings one = SampleSettings.fromConfig(AtdiffConfig.load(conf, List.of()));
        assertEquals(List.of("dpm-solver++"), one.samplers());
        assertEquals(List.of(4), one.steps());
        assertEquals(List.of("dpm-solver++"),
                SampleSettings.fromConfig(AtdiffConfig.load(null, List.of("sample.sampler=dpm-solver++"))).samplers());
        SampleSettings many = SampleSettings.fromConfig(AtdiffConfig.load(null,
                List.of("sample.sampler=[ddim,dpm-solver++]", "sample.steps=[5,10]", "sample.es=true")));
        assertEquals(List.of("ddim-nfe5-es", "ddim-nfe10-es", "dpm-solverpp-nfe5-es", "dpm-solverpp-nfe10-es"),
                many.sets().stream().map(SampleSet::folderName).toList());
        assertEquals(List.of("ddim"), SampleSettings.fromConfig(AtdiffConfig.reference()).samplers());
        for (String bad : List.of("sample.sampler=euler", "sample.steps=[0]", "sample.count=0", "sample.eta=2")) {
            String key = bad.substring(0, bad.indexOf('='));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SampleSettings.fromConfig(AtdiffConfig.load(null, List.of(bad))), bad);
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    @Test
    void sampleStepsIsAnAliasOfSampleNfe() {
        assertEquals(List.of(10), SampleSettings.fromConfig(AtdiffConfig.reference()).steps());
        assertEquals(List.of(5, 10), SampleSettings.fromConfig(AtdiffConfig.load(null, List.of("sample.nfe=[5,10]"))).steps());
        assertEquals(List.of(5, 10), SampleSettings.fromConfig(AtdiffConfig.load(null, List.of("sample.steps=[5,10]"))).steps());
        assertEquals(List.of(5), SampleSettings.fromConfig(AtdiffConfig.load(null,
                List.of("sample.steps=5", "sample.nfe=[5]"))).steps());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SampleSettings.fromConfig(
                AtdiffConfig.load(null, List.of("sample.nfe=[5]", "sample.steps=[10]"))));
        assertTrue(e.getMessage().contains("sample.nfe") && e.getMessage().contains("sample.steps"), e.getMessage());
        assertEquals(List.of(5, 10, 20), SampleSettings.fromConfig(AtdiffConfig.load(null, "quickstart.conf", List.of())).steps());
        assertEquals(List.of(2), SampleSettings.fromConfig(AtdiffConfig.load(null, "quickstart.conf",
                List.of("sample.steps=[2]"))).steps(), "an override of the alias beats the profile's sample.nfe");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SampleSettings.fromConfig(
                AtdiffConfig.load(null, List.of("sample.nfe=[0]")))).getMessage().contains("sample.nfe"));
    }

    @Test
    void perturbedAndBf16SetsAreNamedAndRecorded() throws Exception {
        File plain = new File(dir, "plain"), perturbed = new File(dir, "perturbed");
        SampleGeneration.run(spark(), new SampleSettings("", run.toString(), true, 4, List.of("ddim"), List.of(3), false,
                1.017, 0.0, 5, 4, 1, 1, plain.toString(), false, List.of()));
        List<SampleGeneration.WrittenSet> written = SampleGeneration.run(spark(), new SampleSettings("", run.toString(),
                true, 4, List.of("ddim"), List.of(3), false, 1.017, 0.0, 5, 4, 1, 1, perturbed.toString(), false,
                List.of(), org.atdiff.train.Precision.BF16, "gaussian", 0.5, TimestepSpacing.TRAILING));
        File set = new File(perturbed, written.get(0).folder().getName());
        assertEquals("ddim-nfe3-gaussian0.5", set.getName());
        JsonNode meta = new ObjectMapper().readTree(new File(set, "set.json"));
        assertEquals("gaussian", meta.get("perturbation").asText());
        assertEquals(0.5, meta.get("perturbation_radius").asDouble());
        assertEquals("bf16", meta.get("precision").asText());
        Map<Long, byte[]> a = images(new File(plain, "ddim-nfe3")), b = images(set);
        assertEquals(a.keySet(), b.keySet());
        assertFalse(Arrays.equals(a.get(0L), b.get(0L)), "a perturbed sampler gives other images");
        Row r = spark().read().parquet(new File(set, "data").toString()).filter("id = 2").first();
        assertEquals("sample:ddim:nfe3:es0:gaussian0.5:2", r.getString(r.fieldIndex("source")));
    }

    @Test
    void spacingIsBoundNamedAndRecorded() throws Exception {
        assertEquals(TimestepSpacing.TRAILING, SampleSettings.fromConfig(AtdiffConfig.reference()).spacing());
        SampleSettings leading = SampleSettings.fromConfig(AtdiffConfig.load(null, List.of("sample.spacing=leading",
                "sample.sampler=[ddim,ddpm,dpm-solver++]", "sample.steps=[5]")));
        assertEquals(TimestepSpacing.LEADING, leading.spacing());
        assertEquals(List.of("ddim-nfe5-leading", "ddpm-nfe5-leading", "dpm-solverpp-nfe5"),
                leading.sets().stream().map(SampleSet::folderName).toList());
        assertEquals(List.of("leading", "leading", "logsnr"), leading.sets().stream().map(SampleSet::spacing).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SampleSettings.fromConfig(AtdiffConfig.load(null, List.of("sample.spacing=uniform"))));
        assertTrue(e.getMessage().contains("sample.spacing") && e.getMessage().contains("linspace"), e.getMessage());

        File out = new File(dir, "spaced");
        List<SampleGeneration.WrittenSet> written = SampleGeneration.run(spark(), new SampleSettings("", run.toString(),
                true, 4, List.of("ddim", "dpm-solver++"), List.of(2), false, 1.017, 0.0, 5, 4, 1, 1, out.toString(),
                false, List.of(), org.atdiff.train.Precision.FP32, "none", 0.1, TimestepSpacing.LINSPACE));
        assertEquals(List.of("ddim-nfe2-linspace", "dpm-solverpp-nfe2"), written.stream().map(w -> w.folder().getName()).toList());
        JsonNode meta = new ObjectMapper().readTree(new File(out, "ddim-nfe2-linspace/set.json"));
        assertEquals("linspace", meta.get("spacing").asText());
        assertEquals("logsnr", new ObjectMapper().readTree(new File(out, "dpm-solverpp-nfe2/set.json")).get("spacing").asText());
        Row r = spark().read().parquet(new File(out, "ddim-nfe2-linspace/data").toString()).filter("id = 1").first();
        assertEquals("sample:ddim:nfe2:linspace:es0:1", r.getString(r.fieldIndex("source")));

        // leading has no stride for one step (respace.py's ddim1 fails too): refused before anything is written
        File refused = new File(dir, "refused");
        e = assertThrows(IllegalArgumentException.class, () -> SampleGeneration.run(spark(), new SampleSettings("",
                run.toString(), true, 4, List.of("ddim"), List.of(1), false, 1.017, 0.0, 5, 4, 1, 1, refused.toString(),
                false, List.of(), org.atdiff.train.Precision.FP32, "none", 0.1, TimestepSpacing.LEADING)));
        assertTrue(e.getMessage().contains("sample.spacing") && e.getMessage().contains("leading"), e.getMessage());
        assertFalse(refused.exists(), "nothing written");
    }

    @Test
    void precisionAndPerturbationSettingsAreChecked() {
        SampleSettings s = SampleSettings.fromConfig(AtdiffConfig.load(null, List.of("sample.precision=bf16",
                "sample.perturbation=gradient", "sample.perturbation-radius=0.2", "sample.sampler=[ddim]")));
        assertEquals(List.of("ddim-nfe10-gradient0.2"), s.sets().stream().map(SampleSet::folderName).toList());
        assertEquals("bf16", s.precision().key());
        for (String[] bad : new String[][] {{"sample.precision=fp16"}, {"sample.perturbation=blur"},
                {"sample.perturbation=gaussian", "sample.perturbation-radius=-1"},
                {"sample.perturbation=gaussian", "sample.sampler=cm"}}) {
            String key = bad[0].substring(0, bad[0].indexOf('='));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SampleSettings.fromConfig(AtdiffConfig.load(null, List.of(bad))), String.join(" ", bad));
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    @Test
    void commandFailsNamingAMissingCheckpoint() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> org.atdiff.jobs.Atdiff.runAlone("sample", new SampleJob(), AtdiffConfig.load(null,
                List.of("run.dir=" + new File(dir, "norun"), "output.path=" + new File(dir, "x"))), "local[1]"));
        assertTrue(e.getMessage().contains("run.dir") && e.getMessage().contains("no checkpoints"), e.getMessage());
    }
}
