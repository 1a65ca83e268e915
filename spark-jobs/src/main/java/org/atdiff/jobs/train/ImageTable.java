package org.atdiff.jobs.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * A worker's in-memory copy of the training images, uint8 CHW (3 KB per 32x32 RGB image: CIFAR-10's 50,000 take
 * 150 MB), sorted by id so that row i is the same image on every worker whatever the partitioning was.
 */
public final class ImageTable {
    private final byte[][] pixels;
    private final int[] labels;
    private final int channels, height, width;

    public ImageTable(List<ImageRow> rows, int channels, int height, int width) {
        if (rows.isEmpty()) throw new IllegalArgumentException("the training split has no images");
        List<ImageRow> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingLong(ImageRow::id));
        int size = channels * height * width;
        pixels = new byte[sorted.size()][];
        labels = new int[sorted.size()];
        for (int i = 0; i < pixels.length; i++) {
            ImageRow r = sorted.get(i);
            if (r.pixels().length != size) {
                throw new IllegalArgumentException("image " + r.id() + " has " + r.pixels().length + " pixel bytes, the "
                        + "manifest's " + channels + "x" + height + "x" + width + " needs " + size);
            }
            if (i > 0 && sorted.get(i - 1).id() == r.id()) throw new IllegalArgumentException("image id " + r.id() + " occurs twice");
            pixels[i] = r.pixels();
            labels[i] = r.label();
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /** Collects a partition's rows. */
    public static ImageTable collect(Iterator<ImageRow> rows, int channels, int height, int width) {
        List<ImageRow> all = new ArrayList<>();
        rows.forEachRemaining(all::add);
        return new ImageTable(all, channels, height, width);
    }

    public int size() {
        return pixels.length;
    }

    public byte[] pixels(int row) {
        return pixels[row];
    }

    public int label(int row) {
        return labels[row];
    }

    public long[] imageShape() {
        return new long[] {channels, height, width};
    }

    /** Bytes of one image. */
    public int imageBytes() {
        return channels * height * width;
    }

    /** Whether any image carries a label (>= 0). */
    public boolean labelled() {
        return Arrays.stream(labels).anyMatch(l -> l >= 0);
    }
}
