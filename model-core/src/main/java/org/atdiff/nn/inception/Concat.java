package org.atdiff.nn.inception;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Concatenation of branch outputs along the channel axis, in the order torchvision's blocks list them. */
final class Concat {
    private Concat() {}

    static Tensor channels(Tensor... branches) {
        TensorVector v = new TensorVector();
        for (Tensor b : branches) v.push_back(b);
        return torch.cat(v, 1);
    }
}
