package org.atdiff.prep;

import java.io.Serializable;

/**
 * An 8-bit image in channel-major (CHW) order: {@code chw[(c * height + y) * width + x]}.
 * Channels are 1 (grey) or 3 (RGB).
 */
public record Pixels(int channels, int height, int width, byte[] chw) implements Serializable {
    public Pixels {
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("empty image: " + height + "x" + width);
        if (chw.length != (long) channels * height * width) {
            throw new IllegalArgumentException("pixel buffer holds " + chw.length + " bytes, not " + channels + "x"
                    + height + "x" + width);
        }
    }

    /** The sample at (c, y, x) as 0..255. */
    public int get(int c, int y, int x) {
        return chw[(c * height + y) * width + x] & 0xFF;
    }
}
