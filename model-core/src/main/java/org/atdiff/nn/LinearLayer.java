package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** A fully connected layer y = x W^T + b with PyTorch's default initialisation. */
final class LinearLayer {
    private final Tensor weight;
    private final TensorOptional bias;

    LinearLayer(ParameterStore store, String name, int in, int out) {
        weight = store.uniform(name + ".weight", in, out, in);
        bias = new TensorOptional(store.uniform(name + ".bias", in, out));
        bias.retainReference();
    }

    Tensor forward(Tensor x) {
        return torch.linear(x, weight, bias);
    }
}
