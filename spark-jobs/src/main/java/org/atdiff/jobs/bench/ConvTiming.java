package org.atdiff.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.nn.UNetConfig;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Time of one 3x3 convolution's forward and backward (input and weight gradients) in fp32, in the default
 * (NCHW) or the channels-last memory format, with libtorch's oneDNN (mkldnn) convolutions or without them (its own
 * im2col + BLAS path, the engine's {@code no-onednn}): where a U-Net training step spends most of its FLOPs. Both are
 * timed unchecked, as libtorch computes them on this CPU; libtorch's process-wide oneDNN switch is left as it is.
 */
public final class ConvTiming {
    private static final long[] ONE = {1, 1};

    /** A 3x3, stride 1, padding 1 convolution at batch {@code batch}. */
    public record Shape(int batch, int in, int out, int size) {
        /** Forward + backward FLOPs: 3 x 2 B Cout Cin 9 HW (the backward computes two products of the forward's size). */
        public double flops() {
            return 3.0 * 2 * batch * out * in * 9L * size * size;
        }

        @Override
        public String toString() {
            return in + "->" + out + " @" + size + "x" + size;
        }
    }

    private ConvTiming() {}

    /**
     * The 3x3 convolutions a preset's U-Net runs most: at every level, channels c -> c (the res-blocks) and 2c -> c
     * (the up path reading a concatenated skip), at that level's resolution.
     */
    public static List<Shape> shapes(UNetConfig config, int batch) {
        List<Shape> shapes = new ArrayList<>();
        for (int level = 0; level < config.channelMult().length; level++) {
            int c = config.baseChannels() * config.channelMult()[level];
            int size = config.imageSize() >> level;
            shapes.add(new Shape(batch, c, c, size));
            shapes.add(new Shape(batch, 2 * c, c, size));
        }
        return shapes;
    }

    /** Seconds of each of {@code reps} forward + backward passes, after one warm-up. */
    public static double[] seconds(Shape s, boolean channelsLast, boolean oneDnn, int reps) {
        double[] out = new double[reps];
        ConvolutionEngine.runUnchecked(oneDnn ? ConvolutionPath.DEFAULT : ConvolutionPath.NO_ONEDNN,
                () -> time(s, channelsLast, out));
        return out;
    }

    private static void time(Shape s, boolean channelsLast, double[] out) {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = torch.randn(s.batch(), s.in(), s.size(), s.size());
            Tensor w = torch.randn(s.out(), s.in(), 3, 3).mul(new Scalar(0.05));
            if (channelsLast) {
                x = x.contiguous(torch.MemoryFormat.ChannelsLast);
                w = w.contiguous(torch.MemoryFormat.ChannelsLast);
            }
            x.requires_grad_(true);
            w.requires_grad_(true);
            Tensor b = torch.zeros(s.out()).requires_grad_(true);
            pass(x, w, b);
            for (int i = 0; i < out.length; i++) {
                long start = System.nanoTime();
                pass(x, w, b);
                out[i] = (System.nanoTime() - start) * 1e-9;
            }
        }
    }

    private static void pass(Tensor x, Tensor w, Tensor bias) {
        try (PointerScope scope = new PointerScope()) {
            ConvolutionEngine.conv2d(x, w, bias, ONE, ONE).sum().backward();
        }
    }
}
