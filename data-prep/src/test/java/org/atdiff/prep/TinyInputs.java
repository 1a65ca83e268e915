package org.atdiff.prep;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.Iterator;
import java.util.zip.GZIPOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.atdiff.random.RandomStream;

/** Writes the small input files the tests read: PNG/JPEG/BMP images, IDX files, CIFAR-10 binary batches. */
final class TinyInputs {
    private TinyInputs() {}

    /** Uniformly random pixels. */
    static Pixels random(int channels, int height, int width, long seed) {
        RandomStream rng = new RandomStream(seed);
        byte[] b = new byte[channels * height * width];
        for (int i = 0; i < b.length; i++) b[i] = (byte) rng.nextInt(256);
        return new Pixels(channels, height, width, b);
    }

    /** A smooth image (gradients), which JPEG keeps well. */
    static Pixels smooth(int channels, int height, int width, int phase) {
        byte[] b = new byte[channels * height * width];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    b[(c * height + y) * width + x] = (byte) (30 + phase * 7 + c * 40 + 3 * x + 2 * y);
                }
            }
        }
        return new Pixels(channels, height, width, b);
    }

    static BufferedImage image(Pixels p) {
        BufferedImage img = new BufferedImage(p.width(), p.height(),
                p.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster r = img.getRaster();
        for (int c = 0; c < p.channels(); c++) {
            for (int y = 0; y < p.height(); y++) for (int x = 0; x < p.width(); x++) r.setSample(x, y, c, p.get(c, y, x));
        }
        return img;
    }

    static byte[] encode(Pixels p, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (format.equals("jpeg")) {
            Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
            ImageWriter w = writers.next();
            ImageWriteParam param = w.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.95f);
            try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
                w.setOutput(ios);
                w.write(null, new IIOImage(image(p), null, null), param);
            } finally {
                w.dispose();
            }
        } else if (!ImageIO.write(image(p), format, out)) {
            throw new IOException("no writer for " + format);
        }
        return out.toByteArray();
    }

    static File write(File file, byte[] bytes) throws IOException {
        file.getParentFile().mkdirs();
        Files.write(file.toPath(), bytes);
        return file;
    }

    /** An IDX images file (count x rows x cols) and, if labels != null, its labels file. */
    static void writeIdx(File images, File labelsFile, Pixels[] imgs, byte[] labels, boolean gzip) throws IOException {
        images.getParentFile().mkdirs();
        try (DataOutputStream out = new DataOutputStream(open(images, gzip))) {
            out.writeInt(0x00000803);
            out.writeInt(imgs.length);
            out.writeInt(imgs[0].height());
            out.writeInt(imgs[0].width());
            for (Pixels p : imgs) out.write(p.chw());
        }
        if (labels != null) {
            try (DataOutputStream out = new DataOutputStream(open(labelsFile, gzip))) {
                out.writeInt(0x00000801);
                out.writeInt(labels.length);
                out.write(labels);
            }
        }
    }

    /** A CIFAR-10 binary batch: per record a label byte and 3x32x32 CHW bytes. */
    static void writeCifar(File file, int[] labels, Pixels[] imgs) throws IOException {
        file.getParentFile().mkdirs();
        try (OutputStream out = new FileOutputStream(file)) {
            for (int i = 0; i < labels.length; i++) {
                out.write(labels[i]);
                out.write(imgs[i].chw());
            }
        }
    }

    private static OutputStream open(File f, boolean gzip) throws IOException {
        OutputStream out = new FileOutputStream(f);
        return gzip ? new GZIPOutputStream(out) : out;
    }
}
