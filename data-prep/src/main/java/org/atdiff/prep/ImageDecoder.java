package org.atdiff.prep;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG, JPEG, BMP and GIF bytes (javax.imageio) into 8-bit {@link Pixels}: grey images stay 1 channel,
 * everything else becomes RGB; alpha is dropped. Sample values are read from the raster as stored in the file
 * (no colour-space conversion), 16-bit samples are scaled to 8 bits. A truncated or corrupt file, including a
 * JPEG that decodes only with warnings ("premature end of data"), is an {@link UnreadableImageException}.
 */
public final class ImageDecoder {
    /** Larger images are refused rather than decoded (a guard against decompression bombs). */
    public static final long MAX_PIXELS = 64L * 1024 * 1024;

    static {
        ImageIO.setUseCache(false); // decode in memory, no temporary files
    }

    private ImageDecoder() {}

    public static Pixels decode(byte[] encoded) throws UnreadableImageException {
        if (encoded == null || encoded.length == 0) throw new UnreadableImageException("empty file");
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new UnreadableImageException("not a PNG, JPEG, BMP or GIF image");
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new UnreadableImageException("too large: " + reader.getWidth(0) + "x" + reader.getHeight(0));
                }
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new UnreadableImageException("corrupt " + reader.getFormatName() + ": " + warnings.get(0));
                }
                return toPixels(image);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            // ImageIO reports truncated streams as IIOException, EOFException or (for some readers) runtime errors.
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            Throwable cause = e.getCause();
            if (cause != null && cause.getMessage() != null) msg += " (" + cause.getMessage() + ")";
            throw new UnreadableImageException("corrupt or truncated: " + msg);
        }
    }

    private static Pixels toPixels(BufferedImage image) {
        int h = image.getHeight();
        int w = image.getWidth();
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int components = cm.getNumColorComponents();
        int csType = cm.getColorSpace().getType();
        boolean direct = !(cm instanceof IndexColorModel)
                && ((components == 1 && csType == ColorSpace.TYPE_GRAY) || (components == 3 && csType == ColorSpace.TYPE_RGB))
                && raster.getNumBands() >= components;
        if (direct) {
            byte[] chw = new byte[components * h * w];
            for (int c = 0; c < components; c++) {
                int bits = cm.getComponentSize(c);
                long max = (1L << bits) - 1;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int s = raster.getSample(x, y, c);
                        int v = bits == 8 ? s : (int) ((s * 255L * 2 + max) / (2 * max)); // round(s * 255 / max)
                        chw[(c * h + y) * w + x] = (byte) v;
                    }
                }
            }
            return new Pixels(components, h, w, chw);
        }
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        byte[] chw = new byte[3 * h * w];
        int plane = h * w;
        for (int i = 0; i < plane; i++) {
            chw[i] = (byte) (argb[i] >> 16);
            chw[plane + i] = (byte) (argb[i] >> 8);
            chw[2 * plane + i] = (byte) argb[i];
        }
        return new Pixels(3, h, w, chw);
    }
}
