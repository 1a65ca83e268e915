package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Doubles the resolution by nearest-neighbour interpolation followed by a 3x3 convolution (ADM's Upsample). */
final class Upsample implements TimestepBlock {
    private final ConvLayer conv;

    Upsample(ParameterStore store, String name, int channels) {
        conv = new ConvLayer(store, name + ".conv", channels, channels, 3, 1, false);
    }

    @Override
    public Tensor forward(Tensor x, Tensor embAct) {
        long[] size = {2 * x.size(2), 2 * x.size(3)};
        return conv.forward(torch.upsample_nearest2d(x, size));
    }
}
