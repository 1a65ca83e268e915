package org.atdiff.jobs.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * A worker's in-memory training images, uint8 CHW (3 KB per 32x32 RGB image: CIFAR-10's 50,000 take 150 MB), sorted
 * by key: with replicated placement the keys are the image ids, so row i is the same image on every worker whatever
 * the partitioning was; with sharded placement they are the sample numbers routed to this worker ({@link #row}).
 */
public final class ImageTable {
    private final long[] keys;
    private final byte[][] pixels;
    private final int[] labels;
    private final int channels, height, width;

    public ImageTable(List<ImageRow> rows, int channels, int height, int width) {
        if (rows.isEmpty()) throw new IllegalArgumentException("the training split has no images");
        List<ImageRow> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingLong(ImageRow::key));
        keys = new long[sorted.size()];
        pixels = new byte[sorted.size()][];
        labels = new int[sorted.size()];
        for (int i = 0; i < pixels.length; i++) {
            ImageRow r = sorted.get(i);
            r.image().requireShape(channels, height, width, "the training images are");
            if (i > 0 && sorted.get(i - 1).key() == r.key()) throw new IllegalArgumentException("image key " + r.key() + " occurs twice");
            keys[i] = r.key();
            pixels[i] = r.image().pixels().chw();
            labels[i] = r.image().label();
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

    /** The row keyed {@code key}; a key this table does not hold is an error naming it. */
    public int row(long key) {
        int i = Arrays.binarySearch(keys, key);
        if (i < 0) {
            throw new IllegalStateException("this worker holds no image keyed " + key + " (keys " + keys[0] + ".."
                    + keys[keys.length - 1] + ")");
        }
        return i;
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
