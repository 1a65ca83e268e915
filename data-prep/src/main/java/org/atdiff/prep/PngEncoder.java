package org.atdiff.prep;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * Encodes {@link Pixels} as a PNG of exactly those values: 8-bit grey for 1 channel, 8-bit RGB for 3, no colour
 * conversion, so that {@link ImageDecoder} gives back the same bytes.
 */
public final class PngEncoder {
    private PngEncoder() {}

    public static byte[] png(Pixels p) {
        int c = p.channels(), h = p.height(), w = p.width();
        if (c != 1 && c != 3) throw new IllegalArgumentException("a PNG needs 1 or 3 channels, not " + c);
        BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster raster = img.getRaster();
        byte[] chw = p.chw();
        int plane = h * w;
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) raster.setSample(x, y, ch, chw[ch * plane + y * w + x] & 0xff);
            }
        }
        return png(img);
    }

    /** The PNG bytes of {@code image} (grids, plots and images all go through here). */
    public static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
