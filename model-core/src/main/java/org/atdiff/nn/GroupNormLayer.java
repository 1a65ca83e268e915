package org.atdiff.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** Group normalisation (Wu and He 2018) with min(32, C) groups and a per-channel affine map, eps 1e-5. */
final class GroupNormLayer {
    private static final double EPS = 1e-5;
    private final int groups;
    private final Tensor weight;
    private final Tensor bias;
    private final TensorOptional weightOptional;
    private final TensorOptional biasOptional;

    GroupNormLayer(ParameterStore store, String name, int channels) {
        groups = UNetConfig.groups(channels);
        weight = store.ones(name + ".weight", channels);
        bias = store.zeros(name + ".bias", channels);
        weightOptional = new TensorOptional(weight);
        biasOptional = new TensorOptional(bias);
        weightOptional.retainReference();
        biasOptional.retainReference();
    }

    Tensor forward(Tensor x) {
        if (x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(torch.MemoryFormat.ChannelsLast)) {
            return channelsLast(x);
        }
        return torch.group_norm(x, groups, weightOptional, biasOptional, EPS, false);
    }

    /**
     * The same map on channels-last memory, as reductions over the pixels of an [N, HW, C] view and one fused
     * multiply-add: libtorch 2.10's channels-last group_norm took 2 to 15 times its NCHW time (backward at 32x32,
     * forward and backward at 16x16; docs/performance.md, "GroupNorm"). A bf16 map (autocast) is normalised in
     * float32 and comes back in bf16, as libtorch's group_norm does; the output is channels-last.
     */
    private Tensor channelsLast(Tensor x) {
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), perGroup = c / groups;
        ScalarType type = x.scalar_type().intern();
        boolean lower = type != ScalarType.Double && type != ScalarType.Float;
        Tensor pixels = x.permute(0, 2, 3, 1).reshape(n, h * w, c);
        if (lower) pixels = pixels.to(ScalarType.Float);
        double count = (double) perGroup * h * w;
        // Wu and He 2018, eq. 1-2: x_hat = (x - mean) / sqrt(var + eps) per group, var = E[(x - mean)^2] (two passes:
        // a one-pass E[x^2] - E[x]^2 loses float32 digits as (mean / std)^2 grows); y = gamma x_hat + beta
        Tensor mean = groupSum(pixels, n, perGroup).div(new Scalar(count));                          // [N, G, 1]
        Tensor centered = pixels.sub(mean.expand(n, groups, perGroup).reshape(n, 1, c));
        Tensor rstd = groupSum(centered.square(), n, perGroup).div(new Scalar(count)).add(new Scalar(EPS)).rsqrt();
        Tensor scale = rstd.mul(weight.view(1, groups, perGroup)).view(n, 1, c);
        Tensor shift = bias.view(1, 1, c);
        Tensor y = torch.addcmul(shift, centered, scale).view(n, h, w, c).permute(0, 3, 1, 2);
        return lower ? y.to(type) : y;
    }

    /** Sum of {@code pixels} [N, HW, C] over the pixels and the channels of each group: [N, groups, 1]. */
    private Tensor groupSum(Tensor pixels, long n, long perGroup) {
        ScalarTypeOptional same = new ScalarTypeOptional();
        return pixels.sum(new long[] {1}, false, same).view(n, groups, perGroup).sum(new long[] {2}, true, same);
    }
}
