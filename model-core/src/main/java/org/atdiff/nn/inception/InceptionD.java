package org.atdiff.nn.inception;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's InceptionD (Mixed_7a, unpatched in pytorch-fid), the 17 -> 8 grid reduction: 1x1 192 -> 3x3/2 320;
 * 1x1 192 -> 1x7 -> 7x1 -> 3x3/2 192; 3x3/2 max pool; 512 + in channels out.
 */
public final class InceptionD implements InceptionBlock {
    private static final long[] POOL = {3, 3};
    private static final long[] POOL_STRIDE = {2, 2};
    private static final long[] NO_PAD = {0, 0};
    private static final long[] DILATION = {1, 1};

    private final ConvBnRelu heads;
    private final ConvBnRelu branch3x3_2;
    private final ConvBnRelu branch7x7x3_2;
    private final ConvBnRelu branch7x7x3_3;
    private final ConvBnRelu branch7x7x3_4;

    public InceptionD(WeightSource w, String name, long in) {
        heads = ConvBnRelu.stack(
                ConvBnRelu.load(w, name + ".branch3x3_1", in, 192, 1, 1, 1, 0, 0),
                ConvBnRelu.load(w, name + ".branch7x7x3_1", in, 192, 1, 1, 1, 0, 0));
        branch3x3_2 = ConvBnRelu.load(w, name + ".branch3x3_2", 192, 320, 3, 3, 2, 0, 0);
        branch7x7x3_2 = ConvBnRelu.load(w, name + ".branch7x7x3_2", 192, 192, 1, 7, 1, 0, 3);
        branch7x7x3_3 = ConvBnRelu.load(w, name + ".branch7x7x3_3", 192, 192, 7, 1, 1, 3, 0);
        branch7x7x3_4 = ConvBnRelu.load(w, name + ".branch7x7x3_4", 192, 192, 3, 3, 2, 0, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = heads.forward(x);
        Tensor b3 = branch3x3_2.forward(h.narrow(1, 0, 192));
        Tensor b7 = branch7x7x3_4.forward(branch7x7x3_3.forward(branch7x7x3_2.forward(h.narrow(1, 192, 192))));
        Tensor bp = torch.max_pool2d(x, POOL, POOL_STRIDE, NO_PAD, DILATION, false);
        return Concat.channels(b3, b7, bp);
    }

    @Override
    public List<ConvBnRelu> convs() {
        return List.of(heads, branch3x3_2, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4);
    }
}
