package org.atdiff.prep;

import java.util.List;
import org.atdiff.random.RandomStream;

/**
 * The built-in datasets: ten classes of shapes, in random colours on random vertical gradients
 * ({@code input.path = "builtin:shapes"}, {@link Palette#COLOURED}) or white on black ({@code "builtin:white-shapes"},
 * {@link Palette#WHITE_ON_BLACK}: what a tiny model learns in minutes), generated deterministically from
 * (seed, index) with no download. Both palettes put the same shape at the same place and size for the same index. Image {@code index} draws its
 * colours, position and size from {@code new RandomStream(seed).derive(index)}, so any subset can be rendered
 * anywhere (a Spark partition, a local training smoke run) and gives the same pixels. Labels cycle through the
 * classes ({@code index mod 10}), so every class is equally frequent. Plain Java, no Spark.
 */
public final class ShapesDataset {
    /** Class names; the label is the index in this list. */
    public static final List<String> LABEL_NAMES = List.of("circle", "square", "triangle", "cross", "ring", "diamond",
            "horizontal-bar", "vertical-bar", "plus", "ellipse");
    /** Smallest side length at which the shapes stay recognisable. */
    public static final int MIN_SIZE = 8;
    private static final int SUPERSAMPLE = 4;

    /** One rendered image: RGB pixels (CHW) and its label. */
    public record Sample(int label, Pixels pixels) {}

    /** How shapes and backgrounds are coloured. */
    public enum Palette { COLOURED, WHITE_ON_BLACK }

    private ShapesDataset() {}

    public static int classes() {
        return LABEL_NAMES.size();
    }

    /** Renders image {@code index} of the coloured shapes at {@code size x size}, 3 channels. */
    public static Sample render(long index, int size, long seed) {
        return render(index, size, seed, Palette.COLOURED);
    }

    /** Renders image {@code index} at {@code size x size}, 3 channels, in {@code palette}. */
    public static Sample render(long index, int size, long seed, Palette palette) {
        if (size < MIN_SIZE) throw new IllegalArgumentException("builtin shapes need image.size >= " + MIN_SIZE + ": " + size);
        if (index < 0) throw new IllegalArgumentException("index must be >= 0: " + index);
        RandomStream rng = new RandomStream(seed).derive(index);
        int label = (int) (index % classes());
        int[] bgTop = colour(rng);
        int[] bgBottom = colour(rng);
        int[] fg = colour(rng);
        for (int tries = 0; tries < 16 && contrast(fg, bgTop, bgBottom) < 160; tries++) fg = colour(rng);
        if (palette == Palette.WHITE_ON_BLACK) { // the colours are drawn all the same, so the geometry below is shared
            bgTop = new int[3];
            bgBottom = new int[3];
            fg = new int[] {255, 255, 255};
        }
        double r = size * (0.2 + 0.18 * rng.nextUniform()); // half-extent of the shape in pixels
        double cx = r + (size - 2 * r) * rng.nextUniform();
        double cy = r + (size - 2 * r) * rng.nextUniform();

        int plane = size * size;
        byte[] chw = new byte[3 * plane];
        for (int y = 0; y < size; y++) {
            double t = size == 1 ? 0 : y / (double) (size - 1); // vertical background gradient
            for (int x = 0; x < size; x++) {
                int hits = 0;
                for (int sy = 0; sy < SUPERSAMPLE; sy++) {
                    for (int sx = 0; sx < SUPERSAMPLE; sx++) {
                        double u = (x + (sx + 0.5) / SUPERSAMPLE - cx) / r;
                        double v = (y + (sy + 0.5) / SUPERSAMPLE - cy) / r;
                        if (inside(label, u, v)) hits++;
                    }
                }
                double coverage = hits / (double) (SUPERSAMPLE * SUPERSAMPLE);
                for (int c = 0; c < 3; c++) {
                    double bg = bgTop[c] * (1 - t) + bgBottom[c] * t;
                    chw[c * plane + y * size + x] = (byte) Math.round(bg * (1 - coverage) + fg[c] * coverage);
                }
            }
        }
        return new Sample(label, new Pixels(3, size, size, chw));
    }

    /** Whether (u, v), in units of the shape's half-extent around its centre (v points down), is inside the shape. */
    static boolean inside(int label, double u, double v) {
        double au = Math.abs(u), av = Math.abs(v);
        return switch (label) {
            case 0 -> u * u + v * v <= 1; // circle
            case 1 -> au <= 0.8 && av <= 0.8; // square
            case 2 -> v >= -0.9 && v <= 0.8 && au <= 0.95 * (v + 0.9) / 1.7; // triangle, apex up
            case 3 -> au <= 0.9 && av <= 0.9 && (Math.abs(u - v) <= 0.35 || Math.abs(u + v) <= 0.35); // diagonal cross
            case 4 -> { double d = u * u + v * v; yield d <= 1 && d >= 0.55 * 0.55; } // ring
            case 5 -> au + av <= 1; // diamond
            case 6 -> au <= 1 && av <= 0.3; // horizontal bar
            case 7 -> au <= 0.3 && av <= 1; // vertical bar
            case 8 -> (au <= 0.27 && av <= 0.95) || (av <= 0.27 && au <= 0.95); // plus
            case 9 -> u * u + (v / 0.55) * (v / 0.55) <= 1; // ellipse, wide
            default -> throw new IllegalArgumentException("no shape for label " + label);
        };
    }

    private static int[] colour(RandomStream rng) {
        return new int[] {rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)};
    }

    private static int contrast(int[] fg, int[] a, int[] b) {
        return Math.min(distance(fg, a), distance(fg, b));
    }

    private static int distance(int[] p, int[] q) {
        return Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]);
    }
}
