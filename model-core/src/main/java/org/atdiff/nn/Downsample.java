package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;

/** Halves the resolution with a 3x3 convolution of stride 2 (ADM's Downsample with use_conv). */
final class Downsample implements TimestepBlock {
    private final ConvLayer op;

    Downsample(ParameterStore store, String name, int channels) {
        op = new ConvLayer(store, name + ".op", channels, channels, 3, 2, false);
    }

    @Override
    public Tensor forward(Tensor x, Tensor embAct) {
        return op.forward(x);
    }
}
