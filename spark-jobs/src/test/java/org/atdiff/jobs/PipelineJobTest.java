package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.util.List;
import org.atdiff.jobs.command.AtdiffConfig;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job end to end on tiny settings: prep -> train -> sample -> stats -> fid -> report.html. */
class PipelineJobTest {
    @TempDir
    static File dir;

    @BeforeAll
    static void quiet() {
        System.setProperty("spark.ui.enabled", "false");
        torch.set_num_threads(1);
    }

    @Test
    void quickstartProfileWithTinyOverridesProducesAReport() throws Exception {
        PipelineJob job = new PipelineJob();
        assertEquals("quickstart.conf", job.defaultProfile());
        File run = new File(dir, "run");
        String data = new File(dir, "data").toString();
        var config = AtdiffConfig.load(null, job.defaultProfile(), List.of("run.dir=" + run, "data.path=" + data,
                "samples.path=" + new File(run, "samples"), "reference.path=" + data, "input.builtin-count=200",
                "image.size=8", "train.steps=4", "train.batch-size=4", "train.log-every=1", "train.checkpoint-every=2",
                "sample.count=8", "sample.steps=[2]", "sample.batch-size=8", "fid.classifier-epochs=1",
                "fid.classifier-width=8", "fid.batch-size=16"));
        assertEquals("at", config.getString("train.objective"), "the quickstart profile was applied");
        Atdiff.runAlone("pipeline", job, config, "local[2]");

        assertTrue(new File(data, "manifest.json").isFile());
        assertTrue(new File(run, "checkpoints/step-00000004.safetensors").isFile());
        JsonNode fid = new ObjectMapper().readTree(new File(run, "fid/fid.json"));
        assertEquals(2, fid.get("results").size(), "ddim and dpm-solver++ at NFE 2");
        for (JsonNode r : fid.get("results")) { // a class-conditional model: the classifier scores its samples' classes
            double accuracy = r.get("classifier_accuracy").asDouble(-1);
            assertTrue(accuracy >= 0 && accuracy <= 1, r.toString());
        }
        String html = Files.readString(new File(run, "report.html").toPath());
        assertTrue(html.contains("<td>ddim</td><td>2</td>"), "score table");
        assertTrue(html.contains("fd_classifier"));
        assertTrue(html.contains("dpm-solver++, NFE 2"), "sample grid caption");
        assertTrue(html.contains("objective"), "facts");
        assertTrue(html.contains("<th>classifier accuracy</th>") && html.contains("10 classes"), "accuracy and classes");
        // 1 loss curve + 1 score plot + 2 grids
        assertEquals(4, html.split("data:image/png;base64,").length - 1);

        // A bad value fails before any Spark work, naming the key.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Atdiff.runAlone("pipeline", job,
                AtdiffConfig.load(null, job.defaultProfile(), List.of("run.dir=" + run, "train.lr=-1")), "local[2]"));
        assertTrue(e.getMessage().contains("train.lr"), e.getMessage());

        // Running it again reuses the dataset and the finished training, and rewrites the report.
        Atdiff.runAlone("pipeline", job, config, "local[2]");
        assertTrue(new File(run, "report.html").isFile());
    }
}
