package org.atdiff.nn.inception;

import org.bytedeco.pytorch.Tensor;

/** Where the Inception blocks take their tensors from while they are built: one call per named tensor. */
public interface WeightSource {
    /**
     * The tensor called {@code name} (pytorch-fid's state-dict name, e.g. {@code Mixed_5b.branch1x1.conv.weight}),
     * which must have exactly {@code shape}.
     *
     * @throws IllegalArgumentException naming the tensor when it is absent or has another shape
     */
    Tensor tensor(String name, long... shape);
}
