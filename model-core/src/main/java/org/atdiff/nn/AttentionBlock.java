package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Multi-head self-attention over the pixels of a feature map (ADM's AttentionBlock, "Attention is all you
 * need" eq. 1): qkv = W_qkv GN(x); per head softmax(q^T k / sqrt(d)) v; out = x + W_proj(heads), with W_proj
 * starting at zero. The qkv channels are laid out per head as [q_h, k_h, v_h] (improved-diffusion's order) or
 * as [q, k, v] with the heads inside each (guided-diffusion's new order), see {@link UNetConfig.AttentionOrder};
 * the weights are 1x1 conv1d kernels [out, in, 1] as there, so the names and shapes match their checkpoints.
 */
final class AttentionBlock implements TimestepBlock {
    private final GroupNormLayer norm;
    private final Tensor qkvWeight;
    private final TensorOptional qkvBias;
    private final Tensor projWeight;
    private final TensorOptional projBias;
    private final int channels;
    private final int heads;
    private final UNetConfig.AttentionOrder order;
    private static final long[] ONE = {1};
    private static final long[] ZERO = {0};

    AttentionBlock(ParameterStore store, String name, int channels, int headChannels, UNetConfig.AttentionOrder order) {
        this.channels = channels;
        this.order = order;
        this.heads = channels / headChannels;
        norm = new GroupNormLayer(store, name + ".norm", channels);
        qkvWeight = store.uniform(name + ".qkv.weight", channels, 3L * channels, channels, 1);
        qkvBias = new TensorOptional(store.uniform(name + ".qkv.bias", channels, 3L * channels));
        projWeight = store.zeros(name + ".proj_out.weight", channels, channels, 1);
        projBias = new TensorOptional(store.zeros(name + ".proj_out.bias", channels));
        qkvBias.retainReference();
        projBias.retainReference();
    }

    @Override
    public Tensor forward(Tensor x, Tensor embAct) {
        long b = x.size(0), hgt = x.size(2), wid = x.size(3), n = hgt * wid, d = channels / heads;
        Tensor flat = x.reshape(b, channels, n);
        Tensor qkv = torch.conv1d(norm.forward(flat), qkvWeight, qkvBias, ONE, ZERO, ONE, 1); // [B, 3C, N]
        Tensor q, k, v; // each [B*heads, d, N]
        if (order == UNetConfig.AttentionOrder.HEADS_FIRST) {
            TensorVector parts = qkv.reshape(b * heads, 3 * d, n).split(d, 1);
            q = parts.get(0);
            k = parts.get(1);
            v = parts.get(2);
        } else {
            TensorVector parts = qkv.split(channels, 1);
            q = parts.get(0).reshape(b * heads, d, n);
            k = parts.get(1).reshape(b * heads, d, n);
            v = parts.get(2).reshape(b * heads, d, n);
        }
        // scaled_dot_product_attention wants [batch, tokens, d]; its default scale is 1/sqrt(d)
        Tensor a = torch.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2));
        Tensor merged = a.transpose(1, 2).reshape(b, channels, n);
        Tensor out = torch.conv1d(merged, projWeight, projBias, ONE, ZERO, ONE, 1);
        return flat.add(out).reshape(b, channels, hgt, wid);
    }
}
