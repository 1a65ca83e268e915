package org.atdiff.nn.inception;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/** One of Inception-v3's mixed blocks: parallel branches whose outputs are concatenated along channels. */
public interface InceptionBlock {
    /** x [B, in, H, W] to the concatenated branch outputs [B, out, H', W']. */
    Tensor forward(Tensor x);

    /** Every convolution unit of the block (for lifetime management of their tensors). */
    List<ConvBnRelu> convs();
}
