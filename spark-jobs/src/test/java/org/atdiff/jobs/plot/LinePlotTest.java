package org.atdiff.jobs.plot;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class LinePlotTest {
    @Test
    void drawsEachSeriesInItsColour() throws Exception {
        LinePlot p = new LinePlot("score vs NFE", "NFE", "fd", true);
        p.add("ddim", 5, 30).add("ddim", 10, 20).add("ddim", 50, 10).add("dpm", 5, 25).add("dpm", 10, 15);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(p.png(640, 400)));
        assertEquals(640, img.getWidth());
        int blue = 0, red = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int c = img.getRGB(x, y) & 0xffffff;
                if (c == 0x1f77b4) blue++;
                if (c == 0xd62728) red++;
            }
        }
        assertTrue(blue > 50 && red > 50, "blue " + blue + " red " + red);
    }

    @Test
    void drawsBarsAndReferenceLines() throws Exception {
        LinePlot bare = new LinePlot("d", "NFE", "diff", true).add("ddim", 5, 1).add("ddim", 10, 1).add("ddim", 20, 1);
        LinePlot barred = new LinePlot("d", "NFE", "diff", true).add("ddim", 5, 1).add("ddim", 10, 1, -2, 4)
                .add("ddim", 20, 1).reference(0);
        BufferedImage a = ImageIO.read(new ByteArrayInputStream(bare.png(640, 400)));
        BufferedImage b = ImageIO.read(new ByteArrayInputStream(barred.png(640, 400)));
        int column = 70 + (640 - 70 - 160) / 2; // NFE 10, halfway along the log axis from 5 to 20
        assertTrue(count(b, column, 0x1f77b4) > count(a, column, 0x1f77b4) + 150, "the bar spans most of the plot's height");
        assertTrue(count(b, -1, 0x808080) > count(a, -1, 0x808080) + 150, "a dashed line across the plot");
    }

    /** Pixels of colour rgb in one column (or the whole image for column -1). */
    private static int count(BufferedImage img, int column, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = Math.max(column, 0); x <= (column >= 0 ? column : img.getWidth() - 1); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) n++;
            }
        }
        return n;
    }

    @Test
    void emptyPlotStillRenders() throws Exception {
        assertNotNull(ImageIO.read(new ByteArrayInputStream(new LinePlot("t", "x", "y", false).png(300, 200))));
    }

    @Test
    void ticksAreRoundNumbersCoveringTheRange() {
        assertArrayEquals(new double[] {0, 50, 100, 150, 200}, LinePlot.ticks(1.0, 151, 5), 1e-12);
        assertArrayEquals(new double[] {0.2, 0.3, 0.4, 0.5}, LinePlot.ticks(0.23, 0.47, 5), 1e-12);
        assertArrayEquals(new double[] {-10, -5, 0, 5, 10}, LinePlot.ticks(-7, 8, 5), 1e-12);
        double[] t = LinePlot.ticks(1.0, 151, 5);
        assertEquals("0", LinePlot.label(t[0], t));
        assertEquals("150", LinePlot.label(t[3], t));
        double[] f = LinePlot.ticks(0.23, 0.47, 5);
        assertEquals("0.3", LinePlot.label(f[1], f));
    }

    @Test
    void logTicksAreOneTwoFiveTimesPowersOfTen() {
        assertArrayEquals(new double[] {5, 10, 20, 50, 100}, LinePlot.logTicks(5, 100), 1e-12);
        assertArrayEquals(new double[] {10, 20}, LinePlot.logTicks(8, 30), 1e-12);
    }
}
