package org.atdiff.prep;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.List;

/** Tiles equally sized uint8 CHW images (1 or 3 channels) into one PNG, row by row, with a 2-pixel gap. */
public final class ImageGrid {
    private static final int GAP = 2;

    private ImageGrid() {}

    /**
     * @param images   pixel arrays in CHW order, each of channels*height*width bytes
     * @param columns  images per row
     * @param scale    integer upscaling factor (nearest neighbour) so small images are visible
     */
    public static byte[] png(List<byte[]> images, int channels, int height, int width, int columns, int scale) {
        if (images.isEmpty()) throw new IllegalArgumentException("no images to tile");
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
        int n = images.size();
        int cols = Math.min(columns, n), rows = (n + cols - 1) / cols;
        int cw = width * scale, ch = height * scale;
        BufferedImage out = new BufferedImage(cols * (cw + GAP) + GAP, rows * (ch + GAP) + GAP, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < n; i++) {
            byte[] px = images.get(i);
            if (px.length != channels * height * width) {
                throw new IllegalArgumentException("image " + i + " has " + px.length + " bytes, expected "
                        + channels * height * width);
            }
            int x0 = GAP + (i % cols) * (cw + GAP), y0 = GAP + (i / cols) * (ch + GAP);
            for (int y = 0; y < ch; y++) {
                for (int x = 0; x < cw; x++) {
                    int o = (y / scale) * width + (x / scale);
                    int r = px[o] & 0xff;
                    int g = channels == 3 ? px[height * width + o] & 0xff : r;
                    int b = channels == 3 ? px[2 * height * width + o] & 0xff : r;
                    out.setRGB(x0 + x, y0 + y, (r << 16) | (g << 8) | b);
                }
            }
        }
        return PngEncoder.png(out);
    }
}
