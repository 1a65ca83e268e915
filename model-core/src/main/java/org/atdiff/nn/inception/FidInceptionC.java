package org.atdiff.nn.inception;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * pytorch-fid's FIDInceptionC (Mixed_6b..6e) with c7 = channels_7x7: branches 1x1 192; 1x1 c7 -> 1x7 c7 -> 7x1 192;
 * 1x1 c7 -> 7x1 -> 1x7 -> 7x1 -> 1x7 192; average pool (padding excluded) -> 1x1 192; 768 channels out.
 */
public final class FidInceptionC implements InceptionBlock {
    private final long c7;
    private final ConvBnRelu heads;
    private final ConvBnRelu branch7x7_2;
    private final ConvBnRelu branch7x7_3;
    private final ConvBnRelu branch7x7dbl_2;
    private final ConvBnRelu branch7x7dbl_3;
    private final ConvBnRelu branch7x7dbl_4;
    private final ConvBnRelu branch7x7dbl_5;
    private final ConvBnRelu branchPool;

    public FidInceptionC(WeightSource w, String name, long in, long c7) {
        this.c7 = c7;
        heads = ConvBnRelu.stack(
                ConvBnRelu.load(w, name + ".branch1x1", in, 192, 1, 1, 1, 0, 0),
                ConvBnRelu.load(w, name + ".branch7x7_1", in, c7, 1, 1, 1, 0, 0),
                ConvBnRelu.load(w, name + ".branch7x7dbl_1", in, c7, 1, 1, 1, 0, 0));
        branch7x7_2 = ConvBnRelu.load(w, name + ".branch7x7_2", c7, c7, 1, 7, 1, 0, 3);
        branch7x7_3 = ConvBnRelu.load(w, name + ".branch7x7_3", c7, 192, 7, 1, 1, 3, 0);
        branch7x7dbl_2 = ConvBnRelu.load(w, name + ".branch7x7dbl_2", c7, c7, 7, 1, 1, 3, 0);
        branch7x7dbl_3 = ConvBnRelu.load(w, name + ".branch7x7dbl_3", c7, c7, 1, 7, 1, 0, 3);
        branch7x7dbl_4 = ConvBnRelu.load(w, name + ".branch7x7dbl_4", c7, c7, 7, 1, 1, 3, 0);
        branch7x7dbl_5 = ConvBnRelu.load(w, name + ".branch7x7dbl_5", c7, 192, 1, 7, 1, 0, 3);
        branchPool = ConvBnRelu.load(w, name + ".branch_pool", in, 192, 1, 1, 1, 0, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = heads.forward(x);
        Tensor b1 = h.narrow(1, 0, 192);
        Tensor b7 = branch7x7_3.forward(branch7x7_2.forward(h.narrow(1, 192, c7)));
        Tensor bd = h.narrow(1, 192 + c7, c7);
        bd = branch7x7dbl_5.forward(branch7x7dbl_4.forward(branch7x7dbl_3.forward(branch7x7dbl_2.forward(bd))));
        Tensor bp = branchPool.forward(BranchPool.AVERAGE_EXCLUDING_PADDING.apply(x));
        return Concat.channels(b1, b7, bd, bp);
    }

    @Override
    public List<ConvBnRelu> convs() {
        return List.of(heads, branch7x7_2, branch7x7_3, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4,
                branch7x7dbl_5, branchPool);
    }
}
