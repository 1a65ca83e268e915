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
        return conv.forward(nearest2x(x));
    }

    /**
     * y[n, c, i, j] = x[n, c, i / 2, j / 2], each pixel broadcast to a 2x2 block, in the input's memory format (its
     * backward a sum over each block). The same numbers as upsample_nearest2d, whose libtorch 2.10 CPU kernels take
     * 20 to 50 times longer at 128 channels, 16x16 -> 32x32 (docs/performance.md, "engine").
     */
    static Tensor nearest2x(Tensor x) {
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        if (c > 1 && x.is_contiguous(torch.MemoryFormat.ChannelsLast)) {
            Tensor pixels = x.permute(0, 2, 3, 1).unsqueeze(2).unsqueeze(4); // [N, H, 1, W, 1, C]
            return pixels.expand(n, h, 2, w, 2, c).reshape(n, 2 * h, 2 * w, c).permute(0, 3, 1, 2);
        }
        return x.unsqueeze(3).unsqueeze(5).expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w);
    }
}
