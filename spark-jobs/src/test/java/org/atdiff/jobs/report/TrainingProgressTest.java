package org.atdiff.jobs.report;

import static org.atdiff.jobs.report.ScoreComparisonTest.result;
import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run's scores at several checkpoints: steps from folder names, seeds averaged, table, plot, named errors. */
class TrainingProgressTest {
    @TempDir
    File dir;

    void fid(String rel, String... results) throws Exception {
        ScoreComparisonTest.writeFid(new File(dir, "plateau/" + rel), results);
    }

    @Test
    void scoresAgainstStepsInStepOrder() throws Exception {
        fid("step-10000", result("ddim", 10, false, "none", 0, 6.38));
        fid("step-5000", result("ddim", 10, false, "none", 0, 6.93), result("ddim", 5, false, "none", 0, 9.5));
        fid("step-15000/seed0", result("ddim", 10, false, "none", 0, 5.5));
        fid("step-15000/seed1", result("ddim", 10, false, "none", 0, 5.7));
        Files.writeString(new File(dir, "plateau/scores.tsv").toPath(), "5000\t6.93\n"); // other files are ignored

        List<TrainingProgress.Point> points = TrainingProgress.write(new Path(dir.toString(), "plateau"),
                new Path(dir.toString(), "out"), new Configuration());
        assertEquals(List.of("ddim-nfe10@5000=6.93", "ddim-nfe10@10000=6.38", "ddim-nfe10@15000=5.6",
                "ddim-nfe5@5000=9.5"), points.stream().map(p -> p.set() + "@" + p.step() + "="
                + Math.round(p.score() * 100) / 100.0).toList(), "numeric step order, seeds averaged");
        String md = Files.readString(new File(dir, "out/progress.md").toPath());
        assertTrue(md.contains("| step | ddim-nfe10 | ddim-nfe5 |\n|---|---|---|\n| 5000 | 6.93 | 9.50 |\n"
                + "| 10000 | 6.38 | |\n| 15000 | 5.60 | |\n"), md);
        assertTrue(new File(dir, "out/progress.png").length() > 0);
        assertFalse(new File(dir, "out/.progress.md.crc").exists(), "no checksum side files");
    }

    @Test
    void aFolderThatIsNoStepIsNamed() throws Exception {
        fid("latest", result("ddim", 10, false, "none", 0, 6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingProgress.collect(new Path(dir.toString(), "plateau"), new Configuration()));
        assertTrue(e.getMessage().contains("compare.progress") && e.getMessage().contains("'latest'"), e.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> TrainingProgress.collect(new Path(dir.toString(), "none"), new Configuration()));
        assertTrue(empty.getMessage().startsWith("compare.progress "), empty.getMessage());
    }
}
