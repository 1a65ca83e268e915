package org.atdiff.tensor;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Copies between Java arrays on the heap and CPU tensors (always contiguous, always a fresh copy). */
public final class HostTensors {
    private HostTensors() {}

    public static Tensor fromFloats(float[] data, long... shape) {
        checkSize(data.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Float), null);
        t.data_ptr_float().put(data, 0, data.length);
        return t;
    }

    public static Tensor fromDoubles(double[] data, long... shape) {
        checkSize(data.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Double), null);
        t.data_ptr_double().put(data, 0, data.length);
        return t;
    }

    public static Tensor fromLongs(long[] data, long... shape) {
        checkSize(data.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Long), null);
        t.data_ptr_long().put(data, 0, data.length);
        return t;
    }

    /** uint8 pixels in [0,255] to a float tensor in [-1, 1]: x = p / 127.5 - 1. */
    public static Tensor fromPixels(byte[] pixels, long... shape) {
        float[] f = new float[pixels.length];
        for (int i = 0; i < f.length; i++) f[i] = (pixels[i] & 0xff) / 127.5f - 1f;
        return fromFloats(f, shape);
    }

    public static float[] toFloats(Tensor t) {
        Tensor c = t.to(ScalarType.Float).contiguous();
        float[] out = new float[Math.toIntExact(c.numel())];
        c.data_ptr_float().get(out);
        return out;
    }

    public static double[] toDoubles(Tensor t) {
        Tensor c = t.to(ScalarType.Double).contiguous();
        double[] out = new double[Math.toIntExact(c.numel())];
        c.data_ptr_double().get(out);
        return out;
    }

    public static long[] toLongs(Tensor t) {
        Tensor c = t.to(ScalarType.Long).contiguous();
        long[] out = new long[Math.toIntExact(c.numel())];
        c.data_ptr_long().get(out);
        return out;
    }

    /** Float tensor in [-1, 1] to uint8 pixels: p = round((x + 1) * 127.5), clamped to [0, 255]. */
    public static byte[] toPixels(Tensor t) {
        float[] f = toFloats(t);
        byte[] out = new byte[f.length];
        for (int i = 0; i < f.length; i++) {
            long p = Math.round((f[i] + 1.0) * 127.5);
            out[i] = (byte) Math.max(0, Math.min(255, p));
        }
        return out;
    }

    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    private static void checkSize(int length, long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        if (n != length) {
            throw new IllegalArgumentException("array of " + length + " elements does not fit shape "
                    + java.util.Arrays.toString(shape));
        }
    }
}
