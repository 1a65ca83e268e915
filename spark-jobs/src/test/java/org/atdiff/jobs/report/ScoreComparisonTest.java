package org.atdiff.jobs.report;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scores over seeds: grouping by folder, mean and spread, tables, plots, and the errors that name the input. */
class ScoreComparisonTest {
    @TempDir
    File dir;

    void fid(String rel, String... results) throws Exception {
        writeFid(new File(dir, "scores/" + rel), results);
    }

    /** A fid.json holding {@code results} in {@code folder}. */
    static void writeFid(File folder, String... results) throws Exception {
        folder.mkdirs();
        Files.writeString(new File(folder, "fid.json").toPath(), "{\"results\": [" + String.join(",", results) + "]}");
    }

    static String result(String sampler, int nfe, boolean es, String perturbation, double radius, double score) {
        return String.format(java.util.Locale.ROOT, "{\"sampler\": \"%s\", \"nfe\": %d, \"es\": %b, \"perturbation\": \"%s\", "
                + "\"perturbation_radius\": %s, \"count\": 100, \"features\": \"classifier\", \"fd_classifier\": %s}",
                sampler, nfe, es, perturbation, radius, score);
    }

    @Test
    void reducesOverSeedsAndTabulates() throws Exception {
        fid("plain/seed0/grid", result("ddim", 5, false, "none", 0, 10), result("ddim", 10, false, "none", 0, 6));
        fid("plain/seed1/grid", result("ddim", 5, false, "none", 0, 12), result("ddim", 10, false, "none", 0, 8));
        fid("plain/seed0/es", result("ddim", 5, true, "none", 0, 9));
        fid("at/seed0/grid", result("ddim", 5, false, "none", 0, 7), result("ddim", 10, false, "none", 0, 7));
        fid("at/seed1/grid", result("ddim", 5, false, "none", 0, 9), result("ddim", 10, false, "none", 0, 9));
        fid("at/seed0/robust", result("ddim", 10, false, "gaussian", 0.1, 10));
        fid("at/seed1/robust", result("ddim", 10, false, "gaussian", 0.1, 12));
        File metrics = new File(dir, "runs/ft-at/metrics.jsonl");
        metrics.getParentFile().mkdirs();
        Files.writeString(metrics.toPath(), "{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.4}\n");

        Path out = new Path(dir.toString(), "out");
        List<ScoreComparison.Cell> cells = ScoreComparison.write(new Path(dir.toString(), "scores"),
                List.of(new Path(metrics.getParent())), out, new Configuration());
        ScoreComparison.Cell plain5 = cells.stream().filter(c -> c.key().group().equals("plain") && c.key().nfe() == 5
                && !c.key().es()).findFirst().orElseThrow();
        assertEquals(11, plain5.mean(), 1e-12);
        assertEquals(Math.sqrt(2), plain5.std(), 1e-12, "sample standard deviation of 10 and 12");
        assertEquals(List.of(0, 1), List.copyOf(plain5.bySeed().keySet()));

        String md = Files.readString(new File(dir, "out/summary.md").toPath());
        assertTrue(md.contains("| sampler | NFE | plain | plain + ES | at |"), md);
        assertTrue(md.contains("| ddim | 5 | 11.00 ± 1.41 | 9.00 | **8.00 ± 1.41** |"), md);
        assertTrue(md.contains("| ddim | 10 | **7.00 ± 1.41** | | 8.00 ± 1.41 |"), md);
        assertTrue(md.contains("| at | ddim | 10 | gaussian | 0.1 | 11.00 ± 1.41 | 8.00 ± 1.41 | +3.00 |"), md);
        assertFalse(new File(dir, "out/.summary.md.crc").exists(), "no checksum side files");
        for (String f : List.of("summary.json", "score-ddim.png", "loss.png")) {
            assertTrue(new File(dir, "out/" + f).length() > 0, f);
        }
    }

    @Test
    void setsOnOtherSpacingsAreKeptApart() throws Exception {
        String leading = result("ddim", 5, false, "none", 0, 20).replace("{\"sampler\"", "{\"spacing\": \"leading\", \"sampler\"");
        String trailing = result("ddim", 5, false, "none", 0, 10).replace("{\"sampler\"", "{\"spacing\": \"trailing\", \"sampler\"");
        fid("plain/seed0/grid", trailing, leading, result("ddim", 10, false, "none", 0, 6)); // the last one has no spacing
        List<ScoreComparison.Cell> cells = ScoreComparison.collect(new Path(dir.toString(), "scores"), new Configuration());
        assertEquals(List.of("ddim:5:10.0", "ddim:10:6.0", "ddim-leading:5:20.0"), cells.stream()
                .map(c -> c.key().sampler() + ":" + c.key().nfe() + ":" + c.mean()).sorted(java.util.Comparator
                        .comparing((String k) -> k.split(":")[0]).thenComparingInt(k -> Integer.parseInt(k.split(":")[1])))
                .toList());
    }

    @Test
    void badInputIsNamed() throws Exception {
        Path scores = new Path(dir.toString(), "scores");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScoreComparison.collect(scores, new Configuration()));
        assertTrue(e.getMessage().contains("compare.scores"), e.getMessage());
        new File(dir, "scores/x").mkdirs();
        e = assertThrows(IllegalArgumentException.class, () -> ScoreComparison.collect(scores, new Configuration()));
        assertTrue(e.getMessage().contains("no fid.json"), e.getMessage());
        fid("plain/seed0/a", result("ddim", 5, false, "none", 0, 10));
        fid("plain/seed0/b", result("ddim", 5, false, "none", 0, 11));
        e = assertThrows(IllegalArgumentException.class, () -> ScoreComparison.collect(scores, new Configuration()));
        assertTrue(e.getMessage().contains("seed 0") && e.getMessage().contains("twice"), e.getMessage());
    }

    @Test
    void pairsTreatmentAndControlOnSamplingAndTrainingSeeds() throws Exception {
        double[][] scores = { // group, training seed: sampling seeds 0 and 1 at ddim NFE 5
            {10, 12}, {8, 9}, {9, 11}, {9, 10}, {9.5, 11.5}};
        String[] folders = {"plain/train1", "at/train1", "at/train2", "at-rho0/train1", "at-rho0/train2"};
        for (int g = 0; g < folders.length; g++) {
            for (int s = 0; s < 2; s++) {
                String leading = result("ddim", 10, false, "none", 0, 20 + g).replace("{\"sampler\"",
                        "{\"spacing\": \"leading\", \"sampler\"");
                boolean firstSeed = folders[g].endsWith("train1");
                fid(folders[g] + "/seed" + s + "/grid", firstSeed && g > 0
                        ? new String[] {result("ddim", 5, false, "none", 0, scores[g][s]), leading}
                        : new String[] {result("ddim", 5, false, "none", 0, scores[g][s])});
            }
        }
        List<ScoreComparison.Cell> cells = ScoreComparison.collect(new Path(dir.toString(), "scores"), new Configuration());
        assertTrue(ScoreComparison.markdown(cells).contains("| at (train 1) | at (train 2) |"), ScoreComparison.markdown(cells));
        List<PairedDifferences.Row> rows = PairedDifferences.of(cells, List.of("at"), "at-rho0", "plain");
        assertEquals(2, rows.size(), "ddim 5 and ddim-leading 10");
        PairedDifferences.Row r = rows.stream().filter(x -> x.set().nfe() == 5).findFirst().orElseThrow();
        // at - at-rho0: training seed 1 gives -1, -1; training seed 2 gives -0.5, -0.5; their mean per sampling seed
        assertEquals(-0.75, r.treatmentMinusControl().get(0), 1e-12);
        assertEquals(-0.75, r.treatmentMinusControl().get(1), 1e-12);
        assertEquals(Map.of(1, -1.0, 2, -0.5), r.byTrainingSeed(), "per training seed, over sampling seeds 0 and 1");
        assertEquals(1.5, r.treatmentSpread(), 1e-12, "at: means 8.5 and 10 over sampling seeds");
        assertEquals(1.0, r.controlSpread(), 1e-12, "at-rho0: means 9.5 and 10.5");
        assertEquals(-1.5, r.treatmentMinusBaseline().get(0), 1e-12, "(8 + 9) / 2 - 10");
        assertEquals(-2.0, r.treatmentMinusBaseline().get(1), 1e-12, "(9 + 11) / 2 - 12");
        assertEquals(-0.75, r.controlMinusBaseline().get(0), 1e-12);
        assertEquals(-1.25, r.controlMinusBaseline().get(1), 1e-12);
        PairedDifferences.Row lead = rows.stream().filter(x -> x.set().nfe() == 10).findFirst().orElseThrow();
        assertEquals(-2.0, lead.treatmentMinusControl().get(0), 1e-12, "21 - 23, training seed 1 only");
        assertTrue(Double.isNaN(lead.treatmentSpread()), "one training seed has no spread");
        assertEquals(1.5, PairedDifferences.largerSpread(r), 1e-12);
        assertTrue(Double.isNaN(PairedDifferences.largerSpread(lead)), "neither group has two training seeds here");
        assertEquals(0.7, PairedDifferences.largerSpread(new PairedDifferences.Row("at", r.set(), Map.of(), Map.of(), Double.NaN,
                0.7, Map.of(), Map.of())), 1e-12, "the spread that is known (a group trained once has none)");
        assertTrue(lead.treatmentMinusBaseline().isEmpty(), "plain has no leading set");

        Path out = new Path(dir.toString(), "paired");
        PairedDifferences.write(rows, "at-rho0", "plain", out, new Configuration());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(new File(dir, "paired/paired.json"));
        var first = json.get("rows").get(0);
        assertEquals("ddim", first.get("sampler").asText());
        assertEquals(5, first.get("nfe").asInt());
        assertEquals(-0.75, first.get("at_minus_control").get(1).asDouble(), 1e-12);
        assertEquals(1.5, first.get("training_seed_spread").get("at").asDouble(), 1e-12);
        assertEquals(-2.0, first.get("at_minus_plain").get(1).asDouble(), 1e-12);
        assertEquals(-0.5, first.get("at_minus_control_by_training_seed").get("2").asDouble(), 1e-12);
        var second = json.get("rows").get(1);
        assertEquals("ddim", second.get("sampler").asText());
        assertEquals("leading", second.get("spacing").asText());
        assertTrue(second.get("training_seed_spread").get("at").isNull());
        assertTrue(new File(dir, "paired/paired-at.png").length() > 0, "the plot of at - at-rho0 against NFE");
        String md = Files.readString(new File(dir, "paired/paired.md").toPath());
        assertTrue(md.contains("| at | ddim | 5 |  | -0.75 ± 0.00 | -1.00, -0.50 | 1.50 | 1.00 | -1.75 ± 0.35 | -1.00 ± 0.35 |"), md);
        String missing = assertThrows(IllegalArgumentException.class,
                () -> PairedDifferences.of(cells, List.of("ct"), "at-rho0", "plain")).getMessage();
        assertTrue(missing.contains("compare.paired.treatments") && missing.contains("'ct'"), missing);
        // A sampling phase cut short: at's training seed 1 has sampling seed 2, seed 2 does not. The spread stays over
        // the sampling seeds both have (8.5 against 10), not (8 + 9 + 100) / 3 against 10.
        fid("at/train1/seed2/grid", result("ddim", 5, false, "none", 0, 100));
        List<ScoreComparison.Cell> cut = ScoreComparison.collect(new Path(dir.toString(), "scores"), new Configuration());
        PairedDifferences.Row c = PairedDifferences.of(cut, List.of("at"), "at-rho0", "plain").stream()
                .filter(x -> x.set().nfe() == 5).findFirst().orElseThrow();
        assertEquals(1.5, c.treatmentSpread(), 1e-12);
        assertEquals(List.of(0, 1), List.copyOf(c.treatmentMinusControl().keySet()), "at-rho0 has no sampling seed 2");
        assertEquals(-1.0, c.byTrainingSeed().get(1), 1e-12, "training seed 1 over the sampling seeds of the mean only");
    }
}
