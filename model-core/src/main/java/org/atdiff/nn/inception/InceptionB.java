package org.atdiff.nn.inception;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's InceptionB (Mixed_6a, unpatched in pytorch-fid), the 35 -> 17 grid reduction: 3x3/2 conv 384,
 * 1x1 64 -> 3x3 96 -> 3x3/2 96, and 3x3/2 max pool; 480 + in channels out.
 */
public final class InceptionB implements InceptionBlock {
    private static final long[] POOL = {3, 3};
    private static final long[] POOL_STRIDE = {2, 2};
    private static final long[] NO_PAD = {0, 0};
    private static final long[] DILATION = {1, 1};

    private final ConvBnRelu branch3x3;
    private final ConvBnRelu branch3x3dbl_1;
    private final ConvBnRelu branch3x3dbl_2;
    private final ConvBnRelu branch3x3dbl_3;

    public InceptionB(WeightSource w, String name, long in) {
        branch3x3 = ConvBnRelu.load(w, name + ".branch3x3", in, 384, 3, 3, 2, 0, 0);
        branch3x3dbl_1 = ConvBnRelu.load(w, name + ".branch3x3dbl_1", in, 64, 1, 1, 1, 0, 0);
        branch3x3dbl_2 = ConvBnRelu.load(w, name + ".branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
        branch3x3dbl_3 = ConvBnRelu.load(w, name + ".branch3x3dbl_3", 96, 96, 3, 3, 2, 0, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor b3 = branch3x3.forward(x);
        Tensor bd = branch3x3dbl_3.forward(branch3x3dbl_2.forward(branch3x3dbl_1.forward(x)));
        Tensor bp = torch.max_pool2d(x, POOL, POOL_STRIDE, NO_PAD, DILATION, false);
        return Concat.channels(b3, bd, bp);
    }

    @Override
    public List<ConvBnRelu> convs() {
        return List.of(branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3);
    }
}
