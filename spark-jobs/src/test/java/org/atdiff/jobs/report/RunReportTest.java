package org.atdiff.jobs.report;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class RunReportTest {
    @Test
    void containsScoresGridsConfigAndEscapesText() {
        String html = new RunReport("run <a>")
                .lossPoint(1, 1.0).lossPoint(2, 0.5)
                .score(new RunReport.Score("ddim", 10, false, 1000, "classifier", "fd_classifier", 12.3456))
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

    /** A minimal PNG for the grid slot. */
    static final class LinePlotTestImages {
        static byte[] tinyPng() {
            return new LinePlot("x", "x", "y", false).png(50, 40);
        }
    }
}
