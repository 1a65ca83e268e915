package org.atdiff.jobs.fid;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.atdiff.jobs.PrepJob;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.sample.SampleJob;
import org.atdiff.jobs.sample.TinyRuns;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production path end to end through the commands: prep (builtin shapes) -> stats (trains the classifier on
 * the way) -> sample (a tiny run) -> fid against the .npz (reusing its classifier) -> fid.json with fd_classifier;
 * the classifier command; a reference from another classifier is refused; numpy reads the .npz.
 */
class PipelineCommandsTest {
    @TempDir
    static File dir;

    @BeforeAll
    static void quiet() {
        System.setProperty("spark.ui.enabled", "false");
        torch.set_num_threads(1);
    }

    static void run(org.atdiff.jobs.command.Command command, String... overrides) throws Exception {
        List<String> o = new ArrayList<>(List.of("fid.classifier-epochs=3", "fid.classifier-width=8", "fid.batch-size=16"));
        o.addAll(List.of(overrides));
        org.atdiff.jobs.Atdiff.runAlone("test", command, AtdiffConfig.load(null, o), "local[2]");
    }

    @Test
    void prepStatsSampleFid() throws Exception {
        String data = new File(dir, "data").toString();
        run(new PrepJob(), "input.builtin-count=300", "image.size=8", "output.path=" + data);
        String stats = new File(dir, "ref/stats.npz").toString();
        run(new StatsJob(), "data.path=" + data, "output.path=" + new File(dir, "ref"));
        assertTrue(new File(dir, "ref/classifier.safetensors").isFile(), "stats trained and saved a classifier");
        JsonNode side = new ObjectMapper().readTree(new File(dir, "ref/stats.json"));
        long train = org.atdiff.prep.PreparedDataset.open(data, new org.apache.hadoop.conf.Configuration()).manifest().split().get("train");
        assertEquals(train, side.get("count").asLong(), "the train split (reference.split)");
        assertTrue(side.get("extractor").asText().startsWith("classifier:"));

        File runDir = new File(dir, "run");
        TinyRuns.writeRun(runDir, 8, 3, 0, 3);
        String samples = new File(dir, "samples").toString();
        run(new SampleJob(), "run.dir=" + runDir, "sample.count=10", "sample.sampler=[ddim,dpm-solver++]",
                "sample.steps=[2,4]", "sample.batch-size=4", "output.path=" + samples);

        File fidOut = new File(dir, "fid");
        run(new FidJob(), "samples.path=" + samples, "reference.path=" + stats, "output.path=" + fidOut);
        JsonNode fid = new ObjectMapper().readTree(new File(fidOut, "fid.json"));
        JsonNode results = fid.get("results");
        assertEquals(4, results.size());
        for (JsonNode r : results) {
            assertTrue(r.get("fd_classifier").asDouble() > 0, r.toString());
            assertFalse(r.has("fid"), "classifier scores are never called fid");
            assertEquals("classifier", r.get("features").asText());
            assertEquals(10, r.get("count").asInt());
            assertFalse(r.get("es").asBoolean());
            assertEquals(r.get("sampler").asText().equals("ddim") ? "trailing" : "logsnr", r.get("spacing").asText());
        }
        assertEquals(List.of("ddim:2", "ddim:4", "dpm-solver++:2", "dpm-solver++:4"),
                List.of(results.get(0), results.get(1), results.get(2), results.get(3)).stream()
                        .map(r -> r.get("sampler").asText() + ":" + r.get("nfe").asInt()).toList());
        assertEquals(side.get("extractor").asText(), fid.get("extractor").asText(), "fid reused the reference's classifier");
        assertTrue(new File(fidOut, "fid.png").length() > 0);
        assertFalse(new File(fidOut, "classifier.safetensors").exists(), "no second classifier was trained");

        // a classifier of its own (the classifier command) makes other features: refused against stats.npz
        File clf = new File(dir, "clf.safetensors");
        run(new ClassifierJob(), "data.path=" + data, "fid.classifier-epochs=1", "output.path=" + clf);
        assertTrue(clf.isFile());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(new FidJob(),
                "samples.path=" + samples, "reference.path=" + stats, "fid.classifier=" + clf,
                "output.path=" + new File(dir, "fid2")));
        assertTrue(e.getMessage().contains("different feature extractors"), e.getMessage());

        // the same classifier on both sides, reference from the dataset itself: accepted
        run(new FidJob(), "samples.path=" + new File(samples, "ddim-nfe2"), "reference.path=" + data,
                "fid.classifier=" + clf, "output.path=" + new File(dir, "fid3"));
        assertEquals(1, new ObjectMapper().readTree(new File(dir, "fid3/fid.json")).get("results").size());
        assertTrue(new File(dir, "fid3/reference.npz").isFile());

        numpyReads(Path.of(stats), side.get("dimension").asInt());
    }

    /** numpy.load sees mu of shape (d,) and sigma of shape (d, d) (skipped without /usr/bin/python3 and numpy). */
    static void numpyReads(Path npz, int d) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) return;
        Process p = new ProcessBuilder(python.toString(), "-c", "import sys, numpy as np; f = np.load(sys.argv[1]); "
                + "print(f['mu'].shape, f['sigma'].shape, f['mu'].dtype, bool(np.allclose(f['sigma'], f['sigma'].T)))",
                npz.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        if (out.contains("No module named 'numpy'")) return;
        assertEquals("(" + d + ",) (" + d + ", " + d + ") float64 True", out);
    }
}
