package org.atdiff.jobs.report;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.jobs.plot.LinePlot;
import org.junit.jupiter.api.Test;

class RunReportTest {
    @Test
    void containsScoresGridsConfigAndEscapesText() {
        String html = new RunReport("run <a>")
                .lossPoint(1, 1.0).lossPoint(2, 0.5)
                .score(new RunReport.Score("ddim", 10, false, 1000, "classifier", "fd_classifier", 12.3456, Double.NaN))
                .grid("ddim, NFE 10", LinePlotTestImages.tinyPng())
                .fact("steps", "2")
                .config("train { steps = 2 }")
                .html();
        assertTrue(html.contains("run &lt;a&gt;"));
        assertTrue(html.contains("<td>ddim</td><td>10</td>"));
        assertTrue(html.contains("12.3456"));
        assertTrue(html.contains("fd_classifier"));
        assertTrue(html.contains("ddim, NFE 10"));
        assertTrue(html.contains("train { steps = 2 }"));
        assertEquals(3, html.split("data:image/png;base64,").length - 1); // loss curve, score plot, one grid
    }

    @Test
    void sortsNfeAsNumbersWithinEachSampler() {
        String html = new RunReport("r")
                .score(new RunReport.Score("ddim", 10, false, 10, "classifier", "fd_classifier", 3, Double.NaN))
                .score(new RunReport.Score("ddim", 20, false, 10, "classifier", "fd_classifier", 2, Double.NaN))
                .score(new RunReport.Score("ddim", 5, false, 10, "classifier", "fd_classifier", 4, Double.NaN))
                .score(new RunReport.Score("dpm-solver++", 5, false, 10, "classifier", "fd_classifier", 1, Double.NaN))
                .html();
        int five = html.indexOf("<td>ddim</td><td>5</td>"), ten = html.indexOf("<td>ddim</td><td>10</td>"),
                twenty = html.indexOf("<td>ddim</td><td>20</td>"), dpm = html.indexOf("<td>dpm-solver++</td><td>5</td>");
        assertTrue(five > 0 && five < ten && ten < twenty && twenty < dpm, five + " " + ten + " " + twenty + " " + dpm);
    }

    @Test
    void saysInWordsWhetherTheScoreIsFid() {
        String fd = new RunReport("r").score(new RunReport.Score("ddim", 5, false, 10, "classifier", "fd_classifier", 1, Double.NaN))
                .html();
        assertTrue(fd.contains("NOT FID"), fd);
        String fid = new RunReport("r").score(new RunReport.Score("ddim", 5, false, 10, "inception", "fid", 1, Double.NaN)).html();
        assertTrue(fid.contains("Frechet Inception Distance") && !fid.contains("NOT FID"));
    }

    @Test
    void showsTheClassifierAccuracyOfConditionalSamplesAndSaysWhatItIs() {
        String html = new RunReport("r")
                .score(new RunReport.Score("ddim", 5, false, 10, "classifier", "fd_classifier", 1, 0.8125))
                .score(new RunReport.Score("ddim", 10, false, 10, "classifier", "fd_classifier", 1, Double.NaN))
                .html();
        assertTrue(html.contains("<th>classifier accuracy</th>"), html);
        assertTrue(html.contains("<td>81.3%</td>"), html);
        assertTrue(html.contains(RunReport.ACCURACY_MEANING), html);
        String without = new RunReport("r")
                .score(new RunReport.Score("ddim", 5, false, 10, "classifier", "fd_classifier", 1, Double.NaN)).html();
        assertFalse(without.contains("classifier accuracy"), without);
    }

    /** A minimal PNG for the grid slot. */
    static final class LinePlotTestImages {
        static byte[] tinyPng() {
            return new LinePlot("x", "x", "y", false).png(50, 40);
        }
    }
}
