package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageGridTest {
    @Test
    void tilesRgbImagesInRowsWithExactPixels() throws Exception {
        byte[] red = new byte[3 * 2 * 2], blue = new byte[3 * 2 * 2];
        for (int i = 0; i < 4; i++) {
            red[i] = (byte) 255;
            blue[8 + i] = (byte) 200;
        }
        byte[] png = ImageGrid.png(List.of(red, blue, red), 3, 2, 2, 2, 3);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        // 2 columns of 6 px + 3 gaps; 2 rows
        assertEquals(2 * 6 + 3 * 2, img.getWidth());
        assertEquals(2 * 6 + 3 * 2, img.getHeight());
        assertEquals(0xff0000, img.getRGB(2, 2) & 0xffffff);
        assertEquals(0x0000c8, img.getRGB(2 + 6 + 2 + 5, 2 + 5) & 0xffffff);
        assertEquals(0xff0000, img.getRGB(2, 2 + 6 + 2) & 0xffffff);
        assertEquals(0x000000, img.getRGB(2 + 6 + 2, 2 + 6 + 2) & 0xffffff); // empty cell
    }

    @Test
    void grayscaleRepeatsTheChannelAndWrongSizesAreRejected() throws Exception {
        byte[] g = {10, 20, 30, 40};
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(ImageGrid.png(List.of(g), 1, 2, 2, 8, 1)));
        assertEquals(0x282828, img.getRGB(3, 3) & 0xffffff);
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.png(List.of(new byte[3]), 1, 2, 2, 8, 1));
    }
}
