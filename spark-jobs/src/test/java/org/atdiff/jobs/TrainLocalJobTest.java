package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.atdiff.jobs.command.AtdiffConfig;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainLocalJobTest {
    @Test
    void itsProfileAppliesOnlyWhereTheUserSetNothing() {
        Config c = AtdiffConfig.load(null, new TrainLocalJob().defaultProfile(), List.of("train.steps=7"));
        assertEquals(7, c.getInt("train.steps"));
        assertEquals("tiny", c.getString("model.preset"));
        assertEquals(16, c.getInt("image.size"));
        assertEquals("runs/train-local", c.getString("run.dir"));
    }

    @Test
    void aShortRunPrintsAFallingLoss(@TempDir Path dir) throws Exception {
        int threads = torch.get_num_threads();
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            Atdiff.runAlone("train-local", new TrainLocalJob(), AtdiffConfig.load(null, "train-local.conf", List.of("run.dir=" + dir, "image.size=8",
                    "input.builtin-count=200", "train.steps=40", "train.objective=plain", "train.batch-size=8",
                    "train.log-every=20", "engine.threads=1")), null);
        } finally {
            System.setOut(stdout);
            torch.set_num_threads(threads);
        }
        String out = captured.toString();
        System.out.print(out);
        String line = out.lines().filter(l -> l.contains("loss at the start")).findFirst().orElseThrow();
        double start = Double.parseDouble(line.replaceAll(".*at the start ([0-9.]+).*", "$1"));
        double end = Double.parseDouble(line.replaceAll(".*at the end ([0-9.]+).*", "$1"));
        assertTrue(end < 0.6 * start, line);
        assertTrue(out.contains("step 40/40"), out);
        assertTrue(dir.resolve("checkpoints/step-00000040.safetensors").toFile().isFile());
    }
}
