package org.atdiff.nn;

import org.atdiff.tensor.AutocastScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Multi-head self-attention over the pixels of a feature map (ADM's AttentionBlock, "Attention is all you
 * need" eq. 1): qkv = W_qkv GN(x); per head softmax(q^T k / sqrt(d)) v; out = x + W_proj(heads), with W_proj
 * starting at zero. The qkv channels are laid out per head as [q_h, k_h, v_h] (improved-diffusion's order) or
 * as [q, k, v] with the heads inside each (guided-diffusion's new order), see {@link UNetConfig.AttentionOrder};
 * the weights are 1x1 conv1d kernels [out, in, 1] as there, so the names and shapes match their checkpoints, applied
 * as products over the channels of each pixel (no convolution kernel, and a channels-last input stays channels-last).
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
        // pixel-major [B, N, C] (a view of a channels-last map); the 1x1 projections are products over channels
        Tensor pixels = norm.forward(x).permute(0, 2, 3, 1).reshape(b, n, channels);
        Tensor qkv = torch.linear(pixels, qkvWeight.view(3L * channels, channels), qkvBias); // [B, N, 3C]
        Tensor q, k, v; // each [B, heads, N, d]
        if (order == UNetConfig.AttentionOrder.HEADS_FIRST) {
            TensorVector parts = qkv.view(b, n, heads, 3 * d).split(d, 3);
            q = parts.get(0);
            k = parts.get(1);
            v = parts.get(2);
        } else {
            TensorVector parts = qkv.split(channels, 2);
            q = parts.get(0).view(b, n, heads, d);
            k = parts.get(1).view(b, n, heads, d);
            v = parts.get(2).view(b, n, heads, d);
        }
        Tensor a = attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2));
        Tensor merged = a.transpose(1, 2).reshape(b, n, channels); // heads side by side, as the 1x1 conv reads them
        Tensor out = torch.linear(merged, projWeight.view(channels, channels), projBias);
        return x.add(out.view(b, hgt, wid, channels).permute(0, 3, 1, 2));
    }

    /**
     * softmax(q k^T / sqrt(d)) v over [B, heads, N, d] (scaled_dot_product_attention's default scale). Under bf16
     * autocast it runs in float32: libtorch 2.10's CPU flash attention computes its bf16 products with ATen's
     * reference gemm, which took 7% of a bf16 training step of {@code small} on Zen 5 (docs/performance.md, "engine").
     */
    private static Tensor attention(Tensor q, Tensor k, Tensor v) {
        if (!AutocastScope.enabled()) return torch.scaled_dot_product_attention(q, k, v);
        try (AutocastScope off = AutocastScope.off()) {
            return torch.scaled_dot_product_attention(q.to(ScalarType.Float), k.to(ScalarType.Float), v.to(ScalarType.Float));
        }
    }
}
