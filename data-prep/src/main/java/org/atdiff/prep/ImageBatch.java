package org.atdiff.prep;

import java.util.List;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * n images of one shape gathered for a network: their pixels one after the other (uint8, CHW), their ids and labels.
 * Built with {@link #of}, which checks every image's shape and names the first that does not fit.
 */
public record ImageBatch(int channels, int height, int width, byte[] pixels, long[] ids, int[] labels) {

    /** The images, each required to be {@code channels x height x width} ({@code needs} says who needs that). */
    public static ImageBatch of(List<DatasetImage> images, int channels, int height, int width, String needs) {
        int n = images.size(), per = channels * height * width;
        byte[] pixels = new byte[Math.multiplyExact(n, per)];
        long[] ids = new long[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            DatasetImage image = images.get(i).requireShape(channels, height, width, needs);
            System.arraycopy(image.pixels().chw(), 0, pixels, i * per, per);
            ids[i] = image.id();
            labels[i] = image.label();
        }
        return new ImageBatch(channels, height, width, pixels, ids, labels);
    }

    /** The images, all of the first one's shape (an empty list is an error). */
    public static ImageBatch of(List<DatasetImage> images) {
        if (images.isEmpty()) throw new IllegalArgumentException("an image batch needs at least one image");
        Pixels first = images.get(0).pixels();
        return of(images, first.channels(), first.height(), first.width(),
                "image " + images.get(0).id() + " of the same batch is");
    }

    public int size() {
        return ids.length;
    }

    /** The pixels as a float tensor n x C x H x W in [-1, 1] (x = p / 127.5 - 1). */
    public Tensor tensor() {
        return HostTensors.fromPixels(pixels, size(), channels, height, width);
    }

    /** The labels as an int64 tensor of n. */
    public Tensor labelTensor() {
        long[] l = new long[labels.length];
        for (int i = 0; i < l.length; i++) l[i] = labels[i];
        return HostTensors.fromLongs(l, l.length);
    }
}
