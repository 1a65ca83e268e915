package org.atdiff.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.nn.UNetConfig;

/**
 * Floating-point operations of one image through the U-Net of a {@link UNetConfig}, counted analytically from the
 * architecture (the channel plan of {@code org.atdiff.nn.UNet}): 2 per multiply-add of every convolution, linear layer
 * and attention product (q^T k and the weighted sum of v); normalisations, activations and additions are left out.
 * A training step costs forward + backward = 3 x forward (the backward pass computes the input and weight gradients,
 * each a product of the forward's size).
 */
public final class UNetFlops {
    private UNetFlops() {}

    /** Forward FLOPs of one image. */
    public static long forward(UNetConfig c) {
        int base = c.baseChannels(), emb = 4 * base, size = c.imageSize();
        int[] mult = c.channelMult();
        long flops = linear(base, emb) + linear(emb, emb) + conv(c.inChannels(), base, 3, size);
        List<Integer> skips = new ArrayList<>(List.of(base));
        int ch = base, res = size;
        for (int level = 0; level < mult.length; level++) {
            for (int i = 0; i < c.resBlocks(); i++) {
                flops += resBlock(ch, mult[level] * base, emb, res);
                ch = mult[level] * base;
                if (c.attentionAt(res)) flops += attention(ch, res);
                skips.add(ch);
            }
            if (level < mult.length - 1) {
                res /= 2;
                // a stride-2 convolution, or a resblock whose convolutions run after its average pool: either way
                // at the halved resolution
                flops += c.resblockUpdown() ? resBlock(ch, ch, emb, res) : conv(ch, ch, 3, res);
                skips.add(ch);
            }
        }
        flops += 2 * resBlock(ch, ch, emb, res) + attention(ch, res);
        for (int level = mult.length - 1; level >= 0; level--) {
            for (int i = 0; i <= c.resBlocks(); i++) {
                int in = ch + skips.remove(skips.size() - 1);
                ch = mult[level] * base;
                flops += resBlock(in, ch, emb, res);
                if (c.attentionAt(res)) flops += attention(ch, res);
                if (level > 0 && i == c.resBlocks()) {
                    res *= 2;
                    // nearest upsampling, then a 3x3 convolution (or a resblock's two) at the doubled size
                    flops += c.resblockUpdown() ? resBlock(ch, ch, emb, res) : conv(ch, ch, 3, res);
                }
            }
        }
        return flops + conv(ch, c.outChannels(), 3, size);
    }

    /** FLOPs of one image in a training step: forward and backward, 3 x {@link #forward}. */
    public static long trainingStep(UNetConfig c) {
        return 3 * forward(c);
    }

    /** A convolution with a k x k kernel producing res x res outputs of {@code out} channels from {@code in}. */
    static long conv(long in, long out, long k, long res) {
        return 2 * in * out * k * k * res * res;
    }

    static long linear(long in, long out) {
        return 2 * in * out;
    }

    /** in_layers conv, emb_layers linear, out_layers conv, and the 1x1 skip convolution when channels change. */
    static long resBlock(long in, long out, long emb, long res) {
        return conv(in, out, 3, res) + linear(emb, 2 * out) + conv(out, out, 3, res) + (in == out ? 0 : conv(in, out, 1, res));
    }

    /** qkv projection, q^T k and the weighted sum of v over N = res^2 tokens, output projection. */
    static long attention(long channels, long res) {
        long n = res * res;
        return 2 * channels * 3 * channels * n + 2 * n * n * channels + 2 * n * n * channels + 2 * channels * channels * n;
    }
}
