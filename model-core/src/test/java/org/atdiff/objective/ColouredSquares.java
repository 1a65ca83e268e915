package org.atdiff.objective;

import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/** Test images: a flat background of one random colour with a square of another, values in [-1, 1]. */
public final class ColouredSquares {
    private ColouredSquares() {}

    /** A float tensor [b, 3, size, size]. */
    public static Tensor batch(RandomStream rng, int b, int size) {
        float[] x = new float[b * 3 * size * size];
        for (int i = 0; i < b; i++) {
            int side = size / 4 + rng.nextInt(size / 2);
            int top = rng.nextInt(size - side + 1), left = rng.nextInt(size - side + 1);
            float[] bg = new float[3], fg = new float[3];
            for (int c = 0; c < 3; c++) {
                bg[c] = (float) (rng.nextUniform() * 2 - 1);
                fg[c] = (float) (rng.nextUniform() * 2 - 1);
            }
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < size; y++) {
                    for (int xx = 0; xx < size; xx++) {
                        boolean inside = y >= top && y < top + side && xx >= left && xx < left + side;
                        x[((i * 3 + c) * size + y) * size + xx] = inside ? fg[c] : bg[c];
                    }
                }
            }
        }
        return HostTensors.fromFloats(x, b, 3, size, size);
    }
}
