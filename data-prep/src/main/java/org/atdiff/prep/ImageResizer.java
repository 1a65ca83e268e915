package org.atdiff.prep;

import java.io.Serializable;
import java.util.Locale;

/**
 * Brings an image to the dataset's shape: channel conversion (RGB to grey by ITU-R BT.601 luma, grey to RGB by
 * replication), the largest centred square crop, then a separable resample of that square to
 * {@code size x size}. An image already at the target shape is returned unchanged, byte for byte.
 */
public final class ImageResizer implements Serializable {
    /** Resampling kernel. */
    public enum Filter {
        /** Area averaging: each output pixel is the mean of the input area it covers, weighted by exact overlap. */
        AREA,
        /** Keys' cubic convolution kernel with a = -0.5 (Keys 1981), widened by the scale when downsampling. */
        BICUBIC;

        public static Filter named(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("image.resize must be area or bicubic, not '" + name + "'");
            }
        }
    }

    private final int size;
    private final int channels;
    private final Filter filter;

    public ImageResizer(int size, int channels, Filter filter) {
        if (size <= 0) throw new IllegalArgumentException("image.size must be positive: " + size);
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("image.channels must be 1 or 3: " + channels);
        this.size = size;
        this.channels = channels;
        this.filter = filter;
    }

    /** {@code src} converted to {@code channels}, centre-cropped to a square and resampled to {@code size x size}. */
    public Pixels fit(Pixels src) {
        Pixels p = channels == 1 ? toGrey(src) : src;
        int side = Math.min(p.height(), p.width());
        if (side != p.height() || side != p.width()) p = crop(p, (p.height() - side) / 2, (p.width() - side) / 2, side);
        if (side != size) p = resample(p);
        return channels == 3 ? toRgb(p) : p;
    }

    static Pixels toGrey(Pixels p) {
        if (p.channels() == 1) return p;
        int n = p.height() * p.width();
        byte[] in = p.chw();
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            int r = in[i] & 0xFF, g = in[n + i] & 0xFF, b = in[2 * n + i] & 0xFF;
            out[i] = (byte) ((299 * r + 587 * g + 114 * b + 500) / 1000); // ITU-R BT.601 luma
        }
        return new Pixels(1, p.height(), p.width(), out);
    }

    static Pixels toRgb(Pixels p) {
        if (p.channels() == 3) return p;
        int n = p.height() * p.width();
        byte[] out = new byte[3 * n];
        for (int c = 0; c < 3; c++) System.arraycopy(p.chw(), 0, out, c * n, n);
        return new Pixels(3, p.height(), p.width(), out);
    }

    static Pixels crop(Pixels p, int y0, int x0, int side) {
        byte[] out = new byte[p.channels() * side * side];
        for (int c = 0; c < p.channels(); c++) {
            for (int y = 0; y < side; y++) {
                System.arraycopy(p.chw(), (c * p.height() + y0 + y) * p.width() + x0, out, (c * side + y) * side, side);
            }
        }
        return new Pixels(p.channels(), side, side, out);
    }

    /** Separable resample of a square image: rows first, then columns, rounding once at the end. */
    private Pixels resample(Pixels p) {
        int in = p.width();
        Taps taps = new Taps(in, size, filter);
        int ch = p.channels();
        byte[] out = new byte[ch * size * size];
        double[] rows = new double[in * size];
        for (int c = 0; c < ch; c++) {
            int base = c * in * in;
            for (int y = 0; y < in; y++) {
                for (int x = 0; x < size; x++) {
                    double acc = 0;
                    for (int k = 0; k < taps.count[x]; k++) acc += taps.weight[x][k] * (p.chw()[base + y * in + taps.first[x] + k] & 0xFF);
                    rows[y * size + x] = acc;
                }
            }
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double acc = 0;
                    for (int k = 0; k < taps.count[y]; k++) acc += taps.weight[y][k] * rows[(taps.first[y] + k) * size + x];
                    out[(c * size + y) * size + x] = (byte) Math.max(0, Math.min(255, Math.round(acc)));
                }
            }
        }
        return new Pixels(ch, size, size, out);
    }

    /** Normalised kernel weights from {@code in} samples to {@code out} samples, one run of input taps per output. */
    private static final class Taps {
        final int[] first;
        final int[] count;
        final double[][] weight;

        Taps(int in, int out, Filter filter) {
            double scale = (double) in / out;
            double stretch = Math.max(scale, 1.0); // widen the kernel when downsampling (anti-aliasing)
            double support = 2.0 * stretch; // the cubic kernel is zero beyond |x| = 2
            first = new int[out];
            count = new int[out];
            weight = new double[out][];
            for (int i = 0; i < out; i++) {
                if (filter == Filter.AREA) {
                    area(i, in, scale);
                    continue;
                }
                double centre = (i + 0.5) * scale; // output pixel centre in input coordinates
                int lo = Math.max(0, (int) Math.floor(centre - support));
                int hi = Math.min(in, (int) Math.ceil(centre + support));
                double[] w = new double[hi - lo];
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    w[j - lo] = cubic((j + 0.5 - centre) / stretch);
                    sum += w[j - lo];
                }
                for (int k = 0; k < w.length; k++) w[k] /= sum;
                first[i] = lo;
                count[i] = w.length;
                weight[i] = w;
            }
        }

        /** Keys (1981), eq. 15, with a = -0.5. */
        private static double cubic(double x) {
            double a = -0.5;
            x = Math.abs(x);
            if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
            if (x < 2) return ((x - 5) * x + 8) * x * a - 4 * a;
            return 0;
        }

        /** Output pixel i covers input [i * scale, (i + 1) * scale); input pixel j weighs by its overlap with that. */
        private void area(int i, int in, double scale) {
            double from = i * scale, to = Math.min(in, (i + 1) * scale);
            int lo = (int) Math.floor(from);
            int hi = Math.min(in, (int) Math.ceil(to));
            double[] w = new double[hi - lo];
            for (int j = lo; j < hi; j++) w[j - lo] = Math.min(j + 1, to) - Math.max(j, from);
            double sum = to - from;
            for (int k = 0; k < w.length; k++) w[k] /= sum;
            first[i] = lo;
            count[i] = w.length;
            weight[i] = w;
        }
    }
}
