package org.atdiff.nn;

import org.atdiff.engine.ConvolutionEngine;
import org.bytedeco.pytorch.Tensor;

/**
 * A 2-d convolution with a square kernel, "same" padding and an optional stride (ADM's conv_nd(2, ...)), computed on
 * the path the engine self-check chose ({@link ConvolutionEngine}).
 */
final class ConvLayer {
    private final Tensor weight;
    private final Tensor bias;
    private final long[] stride;
    private final long[] padding;

    /** @param zeroInit ADM's zero_module: weight and bias start at zero, so the block starts as the identity */
    ConvLayer(ParameterStore store, String name, int in, int out, int kernel, int stride, boolean zeroInit) {
        int fanIn = in * kernel * kernel;
        if (zeroInit) {
            weight = store.zeros(name + ".weight", out, in, kernel, kernel);
            bias = store.zeros(name + ".bias", out);
        } else {
            weight = store.uniform(name + ".weight", fanIn, out, in, kernel, kernel);
            bias = store.uniform(name + ".bias", fanIn, out);
        }
        this.stride = new long[] {stride, stride};
        this.padding = new long[] {kernel / 2, kernel / 2};
    }

    Tensor forward(Tensor x) {
        return ConvolutionEngine.conv2d(x, weight, bias, stride, padding);
    }
}
