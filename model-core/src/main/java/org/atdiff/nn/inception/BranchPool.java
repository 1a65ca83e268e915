package org.atdiff.nn.inception;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The 3x3, stride 1, padding 1 pooling in front of an Inception block's pool branch. pytorch-fid's FID Inception
 * (ported from TensorFlow) averages without the padded zeros in FIDInceptionA, C and E_1 and takes the maximum in
 * E_2.
 */
public enum BranchPool {
    /** Average over the window's in-image pixels only ({@code count_include_pad=False}, as TensorFlow's pool). */
    AVERAGE_EXCLUDING_PADDING,
    /** Maximum over the window (FIDInceptionE_2, the last block). */
    MAX;

    private static final long[] KERNEL = {3, 3};
    private static final long[] STRIDE = {1, 1};
    private static final long[] PADDING = {1, 1};
    private static final long[] DILATION = {1, 1};

    public Tensor apply(Tensor x) {
        return this == MAX
                ? torch.max_pool2d(x, KERNEL, STRIDE, PADDING, DILATION, false)
                : torch.avg_pool2d(x, KERNEL, STRIDE, PADDING, false, false, new LongOptional());
    }
}
