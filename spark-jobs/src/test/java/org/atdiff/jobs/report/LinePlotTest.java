package org.atdiff.jobs.report;

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
    void emptyPlotStillRenders() throws Exception {
        assertNotNull(ImageIO.read(new ByteArrayInputStream(new LinePlot("t", "x", "y", false).png(300, 200))));
    }
}
