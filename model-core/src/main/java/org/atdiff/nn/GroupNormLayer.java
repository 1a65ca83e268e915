package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** Group normalisation (Wu and He 2018) with min(32, C) groups and a per-channel affine map, eps 1e-5. */
final class GroupNormLayer {
    private final int groups;
    private final TensorOptional weight;
    private final TensorOptional bias;

    GroupNormLayer(ParameterStore store, String name, int channels) {
        groups = UNetConfig.groups(channels);
        weight = new TensorOptional(store.ones(name + ".weight", channels));
        bias = new TensorOptional(store.zeros(name + ".bias", channels));
        weight.retainReference();
        bias.retainReference();
    }

    Tensor forward(Tensor x) {
        return torch.group_norm(x, groups, weight, bias, 1e-5, false);
    }
}
