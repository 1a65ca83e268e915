package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** A 2-d convolution with a square kernel, "same" padding and an optional stride (ADM's conv_nd(2, ...)). */
final class ConvLayer {
    private final Tensor weight;
    private final TensorOptional bias;
    private final long[] stride;
    private final long[] padding;
    private static final long[] DILATION = {1, 1};

    /** @param zeroInit ADM's zero_module: weight and bias start at zero, so the block starts as the identity */
    ConvLayer(ParameterStore store, String name, int in, int out, int kernel, int stride, boolean zeroInit) {
        int fanIn = in * kernel * kernel;
        if (zeroInit) {
            weight = store.zeros(name + ".weight", out, in, kernel, kernel);
            bias = new TensorOptional(store.zeros(name + ".bias", out));
        } else {
            weight = store.uniform(name + ".weight", fanIn, out, in, kernel, kernel);
            bias = new TensorOptional(store.uniform(name + ".bias", fanIn, out));
        }
        bias.retainReference();
        this.stride = new long[] {stride, stride};
        this.padding = new long[] {kernel / 2, kernel / 2};
    }

    Tensor forward(Tensor x) {
        return torch.conv2d(x, weight, bias, stride, padding, DILATION, 1);
    }
}
