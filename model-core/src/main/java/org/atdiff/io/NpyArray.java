package org.atdiff.io;

import java.util.Arrays;

/**
 * A numeric array as numpy stores it in a {@code .npy} file: element type, shape and the values in C (row-major)
 * order. Values are held as doubles; {@link Dtype#FLOAT32} arrays are rounded to float when written.
 */
public record NpyArray(Dtype dtype, long[] shape, double[] data) {
    /** The element types supported: numpy's {@code <f8}, {@code <f4} and {@code |u1} (values 0..255). */
    public enum Dtype {
        FLOAT64("f8", 8), FLOAT32("f4", 4), UINT8("u1", 1);

        final String code;
        final int bytes;

        Dtype(String code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }
    }

    public NpyArray {
        long n = 1;
        for (long s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, s);
        }
        if (n != data.length) {
            throw new IllegalArgumentException(data.length + " values do not fit shape " + Arrays.toString(shape));
        }
        if (dtype == Dtype.UINT8) {
            for (double v : data) {
                if (v != Math.rint(v) || v < 0 || v > 255) throw new IllegalArgumentException("uint8 value out of range: " + v);
            }
        }
        shape = shape.clone();
    }

    public static NpyArray float64(double[] data, long... shape) {
        return new NpyArray(Dtype.FLOAT64, shape, data);
    }

    public static NpyArray float32(float[] data, long... shape) {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) d[i] = data[i];
        return new NpyArray(Dtype.FLOAT32, shape, d);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
