package org.atdiff.jobs.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.engine.ForcedPath;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench end to end on a tiny model (figures are not checked, only that each section reports them). */
class BenchCommandTest {
    @TempDir
    File dir;

    private Config config(String... extra) {
        List<String> o = new ArrayList<>(List.of("bench.preset=tiny", "bench.image-size=8", "bench.steps=2",
                "bench.warmup=0", "bench.batch-size=2", "bench.threads=1", "bench.python=\"\"", "bench.fid-count=300",
                "bench.fid-dimension=16", "output.path=" + dir.getAbsolutePath()));
        o.addAll(List.of(extra));
        return AtdiffConfig.load(null, o);
    }

    @Test
    void trainAndFidSectionsWriteBenchJson() throws Exception {
        org.atdiff.jobs.Atdiff.runAlone("bench", new BenchCommand(), config("bench.sections=[conv,phases,train,fid]", "bench.precisions=[fp32,bf16]"), null);
        JsonNode root = new ObjectMapper().readTree(new File(dir, "bench.json"));
        assertTrue(root.get("pytorch").asText().startsWith("skipped"), root.get("pytorch").asText());
        JsonNode train = root.get("sections").get("train tiny").get("rows");
        assertEquals(4, train.size(), "fp32 plain, bf16 plain, fp32 at, fp32 hybrid: " + train);
        for (JsonNode row : train) {
            assertEquals(2, row.get("steps").asInt());
            assertTrue(row.get("images_per_s").asDouble() > 0);
            assertTrue(row.get("atdiff_over_pytorch").isNull(), "no PyTorch column without python");
        }
        assertEquals("at (K=3)", train.get(2).get("objective").asText());
        assertEquals("hybrid (learn-sigma)", train.get(3).get("objective").asText());
        String notes = root.get("sections").get("train tiny").get("notes").toString();
        assertTrue(notes.contains("loss per timed step") && notes.contains("AT overhead")
                && notes.contains("hybrid loss overhead"), notes);
        JsonNode conv = root.get("sections").get("conv tiny").get("rows");
        assertEquals(2 * 2 * 3, conv.size(), "tiny's two levels x (c->c, 2c->c) x 3 variants: " + conv);
        assertEquals("32->32 @8x8", conv.get(0).get("shape").asText());
        assertEquals("NCHW no-onednn", conv.get(2).get("variant").asText());
        assertEquals("64->64 @4x4", conv.get(6).get("shape").asText());
        for (JsonNode row : conv) assertTrue(row.get("gflops").asDouble() > 0, row.toString());
        JsonNode phases = root.get("sections").get("phases tiny").get("rows");
        assertEquals(2, phases.size(), "atdiff with OpenBLAS on one thread and on its pool: " + phases);
        for (JsonNode row : phases) {
            double sum = 0;
            for (String phase : List.of("draw_s", "forward_s", "backward_s", "update_s")) {
                assertTrue(row.get(phase).asDouble() > 0, phase + " in " + row);
                sum += row.get(phase).asDouble();
            }
            // with 2 timed steps every median is a mean, so the phases add up to the step exactly
            assertEquals(sum, row.get("step_s").asDouble(), 1e-9 * sum, row.toString());
        }
        JsonNode fid = root.get("sections").get("fid statistics");
        assertEquals(2, fid.get("rows").size());
        assertTrue(fid.get("notes").get(0).asText().contains("distance: atdiff"));
    }

    @Test
    void placementSectionMeasuresBothPlacementsOnAPreparedDataset() throws Exception {
        new BenchCommand().run(config("bench.sections=[placement]", "bench.placement-images=64",
                "bench.placement-master=\"local[2]\"", "bench.placement-steps=2",
                "bench.placement-probe-interval=200ms"), null);
        JsonNode placement = new ObjectMapper().readTree(new File(dir, "bench.json")).get("sections").get("placement");
        JsonNode rows = placement.get("rows");
        assertEquals(2, rows.size(), rows.toString());
        assertEquals("sharded", rows.get(0).get("placement").asText());
        assertEquals("replicated", rows.get(1).get("placement").asText());
        // 2 workers x batch 2: an epoch of 64 images is 16 steps, a sharded worker holds its 16 x 2 samples
        assertEquals(32, rows.get(0).get("images_per_worker").asInt());
        assertEquals(64, rows.get(1).get("images_per_worker").asInt());
        for (JsonNode row : rows) {
            assertTrue(row.get("live_heap_mb").asDouble() > 0, row.toString());
            assertTrue(row.get("probes_by_executor").get(0).asLong() > 0, row.toString());
            assertTrue(row.get("peak_heap_mb").asDouble() > 0, row.toString());
            assertTrue(row.get("steps_per_s").asDouble() > 0, row.toString());
        }
        assertTrue(placement.get("notes").get(0).asText().startsWith("sharded / replicated live heap"), placement.toString());
        assertTrue(new File(dir, "placement-64/manifest.json").isFile(), "a real prepared dataset");
    }

    @Test
    void theDefaultSectionsAreEverySectionInRunningOrder() {
        assertEquals(BenchRunner.names(), config().getStringList("bench.sections"),
                "conf/application.conf's bench.sections lists every section the runner has, in its order");
    }

    /**
     * The engine section on a CPU where the default path is wrong (simulated: the check sees it 30% off): the default
     * row says so and is timed unchecked, so the correct paths' cost against it is a figure.
     */
    @Test
    void engineSectionTimesARefusedPathUncheckedBesideTheCorrectOnes() throws Exception {
        try (AutoCloseable fault = ForcedPath.simulatedFault(ConvolutionPath.DEFAULT)) {
            org.atdiff.jobs.Atdiff.runAlone("bench", new BenchCommand(), config("bench.sections=[engine]", "bench.precisions=[fp32]"), null);
        }
        JsonNode section = new ObjectMapper().readTree(new File(dir, "bench.json")).get("sections").get("engine tiny");
        JsonNode rows = section.get("rows");
        JsonNode byDefault = rows.get(0);
        assertEquals("default", byDefault.get("path").asText(), rows.toString());
        assertEquals("FAIL, timed unchecked", byDefault.get("check").asText(), rows.toString());
        double defaultIps = byDefault.get("images_per_s").asDouble();
        assertTrue(defaultIps > 0, rows.toString());
        assertTrue(section.get("notes").toString().contains("default fp32: "), "the check's finding: " + section.get("notes"));
        assertTrue(section.get("notes").toString().contains("default fp32 timed unchecked"), section.get("notes").toString());
        int correct = 0;
        for (JsonNode row : rows) {
            if (row.get("path").asText().equals("default") || !row.get("check").asText().startsWith("ok ")) continue;
            correct++;
            double ips = row.get("images_per_s").asDouble();
            assertEquals(ips / defaultIps, row.get("of_default").asDouble(), 0.01 * ips / defaultIps, row.toString());
        }
        assertTrue(correct >= 1, "a correct path beside the refused one: " + rows);
    }

    @Test
    void unknownSectionIsRejectedByKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchSettings.fromConfig(config("bench.sections=[train,speed]")));
        assertTrue(e.getMessage().contains("bench.sections") && e.getMessage().contains("speed"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchSettings.fromConfig(config("bench.preset=huge")));
        assertTrue(e.getMessage().contains("bench.preset"), e.getMessage());
    }

    @Test
    void missingPythonIsReportedNotFatal() {
        StringBuilder why = new StringBuilder();
        assertTrue(PythonReference.start(new File(dir, "no-python").getPath(), 1, why).isEmpty());
        assertTrue(why.toString().contains("missing"), why.toString());
    }

    @Test
    void pytorchReferenceHasTheSameParameterCount() throws Exception {
        Assumptions.assumeTrue(new File("/usr/bin/python3").canExecute(), "no /usr/bin/python3");
        StringBuilder why = new StringBuilder();
        var py = PythonReference.start("/usr/bin/python3", 1, why);
        Assumptions.assumeTrue(py.isPresent(), why.toString());
        try (PythonReference p = py.get()) {
            for (String preset : UNetConfig.PRESETS) {
                JsonNode d = p.request(PythonReference.command("describe").put("preset", preset).put("size", 32));
                assertEquals(UNet.parameterCount(UNetConfig.preset(preset, 32, 3)), d.get("parameters").asLong(), preset);
            }
        }
    }
}
