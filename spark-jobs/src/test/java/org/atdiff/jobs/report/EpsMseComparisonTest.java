package org.atdiff.jobs.report;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** eps-mse.json files side by side: grouping, paired differences on the training seed, spreads, bad input named. */
class EpsMseComparisonTest {
    @TempDir
    File dir;

    void file(String rel, double clean, double attacked) throws Exception {
        File f = new File(dir, "eps/" + rel + "/eps-mse.json");
        f.getParentFile().mkdirs();
        Files.writeString(f.toPath(), String.format(Locale.ROOT, "{\"rows\": ["
                + "{\"t_bin\": \"0-10\", \"attack\": \"gradient\", \"radius\": 0.0, \"mse\": %s},"
                + "{\"t_bin\": \"0-10\", \"attack\": \"gradient\", \"radius\": 0.2, \"mse\": %s}]}", clean, attacked));
    }

    @Test
    void pairsTreatmentAndControlOnTheTrainingSeed() throws Exception {
        file("plain/train1", 0.50, 0.90);
        file("at/train1", 0.52, 0.70);
        file("at/train2", 0.54, 0.74);
        file("at-rho0/train1", 0.51, 0.80);
        file("at-rho0/train2", 0.52, 0.86);
        EpsMseComparison.Table t = EpsMseComparison.collect(new Path(dir.toString(), "eps"), new Configuration());
        assertEquals(2, t.cells().size());
        assertEquals(5, t.errors().size());
        EpsMseComparison.Cell attacked = t.cells().get(1);
        // (0.70 - 0.80 + 0.74 - 0.86) / 2
        assertEquals(-0.11, EpsMseComparison.pairedDifference(t, attacked, "at", "at-rho0"), 1e-12);
        assertEquals(0.04, EpsMseComparison.spread(t, attacked, "at"), 1e-12);
        assertEquals(0.06, EpsMseComparison.spread(t, attacked, "at-rho0"), 1e-12);
        assertTrue(Double.isNaN(EpsMseComparison.spread(t, attacked, "plain")), "one training seed has no spread");

        Path out = new Path(dir.toString(), "out");
        EpsMseComparison.write(t, List.of("at"), "at-rho0", out, new Configuration());
        String md = Files.readString(new File(dir, "out/eps-mse.md").toPath());
        assertTrue(md.contains("| 0-10 | gradient | 0.2 | 0.7000 | 0.7400 | 0.8000 | 0.8600 | 0.9000 |"), md);
        assertTrue(md.contains("| at | 0-10 | gradient | 0.2 | -0.1100 | 0.04000 | 0.06000 |"), md);
        JsonNode json = new ObjectMapper().readTree(new File(dir, "out/eps-mse.json"));
        assertEquals(-0.11, json.get("rows").get(1).get("minus_at-rho0").get("at").asDouble(), 1e-12);
        assertFalse(new File(dir, "out/.eps-mse.md.crc").exists(), "no checksum side files");
    }

    @Test
    void badInputIsNamed() throws Exception {
        Path root = new Path(dir.toString(), "eps");
        String missing = assertThrows(IllegalArgumentException.class, () -> EpsMseComparison.collect(root, new Configuration()))
                .getMessage();
        assertTrue(missing.contains("compare.eps-mse"), missing);
        new File(dir, "eps").mkdirs();
        String none = assertThrows(IllegalArgumentException.class, () -> EpsMseComparison.collect(root, new Configuration()))
                .getMessage();
        assertTrue(none.contains("no eps-mse.json"), none);
        File loose = new File(dir, "eps/eps-mse.json");
        Files.writeString(loose.toPath(), "{\"rows\": []}");
        String group = assertThrows(IllegalArgumentException.class, () -> EpsMseComparison.collect(root, new Configuration()))
                .getMessage();
        assertTrue(group.contains("group folder"), group);
    }
}
