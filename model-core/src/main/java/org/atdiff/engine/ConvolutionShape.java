package org.atdiff.engine;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One convolution as the engine sees it, batch aside: channels, kernel, stride, padding, input size, whether the
 * input arrives channels-last, whether it runs under bf16 autocast, whether autograd will take its backward (grad
 * mode on), in which case the check covers backward-data and backward-weights too, and libtorch's intra-op threads:
 * on Zen 5 some channels-last 1x1 convolutions are right on one thread and wrong on two (docs/performance.md,
 * "engine"), so a shape is checked on the threads it runs on.
 */
public record ConvolutionShape(long in, long out, long kh, long kw, long strideH, long strideW, long padH, long padW,
                               long height, long width, boolean channelsLast, boolean bf16, boolean bias, boolean backward,
                               int threads) {
    public ConvolutionShape {
        if (threads < 1) throw new IllegalArgumentException("a convolution runs on at least one thread, not " + threads);
        if (in < 1 || out < 1 || kh < 1 || kw < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("invalid convolution shape " + describe(in, out, kh, kw, strideH, padH));
        }
        if (height + 2 * padH < kh || width + 2 * padW < kw) {
            throw new IllegalArgumentException("kernel " + kh + "x" + kw + " larger than the padded input " + height + "x" + width);
        }
    }

    /**
     * The shape of the call conv2d(x, weight, bias?, stride, padding) in the current autocast and grad mode, on
     * libtorch's current intra-op threads.
     */
    static ConvolutionShape of(Tensor x, Tensor weight, boolean bias, long[] stride, long[] padding, boolean bf16,
                               boolean backward) {
        return new ConvolutionShape(weight.size(1), weight.size(0), weight.size(2), weight.size(3), stride[0], stride[1],
                padding[0], padding[1], x.size(2), x.size(3),
                x.size(1) > 1 && x.is_contiguous(torch.MemoryFormat.ChannelsLast), bf16, bias, backward,
                torch.get_num_threads());
    }

    /** A square-kernel shape on a square input, NCHW, with bias, forward and backward, on {@code threads} threads. */
    public static ConvolutionShape square(long in, long out, long kernel, long stride, long size, boolean bf16, int threads) {
        return new ConvolutionShape(in, out, kernel, kernel, stride, stride, kernel / 2, kernel / 2, size, size, false,
                bf16, true, true, threads);
    }

    /** The same shape in another precision. */
    public ConvolutionShape withBf16(boolean on) {
        return new ConvolutionShape(in, out, kh, kw, strideH, strideW, padH, padW, height, width, channelsLast, on, bias,
                backward, threads);
    }

    /** The same shape with its input in another memory format. */
    public ConvolutionShape withChannelsLast(boolean on) {
        return new ConvolutionShape(in, out, kh, kw, strideH, strideW, padH, padW, height, width, on && in > 1, bf16, bias,
                backward, threads);
    }

    /** E.g. {@code 17->32 k3x3 s2 p1 @16x16 nhwc bf16 2t} (the thread count when more than one). */
    @Override
    public String toString() {
        String k = kh == kw ? "k" + kh : "k" + kh + "x" + kw;
        String s = strideH == strideW ? "s" + strideH : "s" + strideH + "x" + strideW;
        String p = padH == padW ? "p" + padH : "p" + padH + "x" + padW;
        return in + "->" + out + " " + k + " " + s + " " + p + " @" + height + "x" + width + (channelsLast ? " nhwc" : "")
                + (bf16 ? " bf16" : "") + (bias ? "" : " nobias") + (backward ? "" : " fwd")
                + (threads > 1 ? " " + threads + "t" : "");
    }

    private static String describe(long in, long out, long kh, long kw, long stride, long pad) {
        return in + "->" + out + " k" + kh + "x" + kw + " s" + stride + " p" + pad;
    }
}
