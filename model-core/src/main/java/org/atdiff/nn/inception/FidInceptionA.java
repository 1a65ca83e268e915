package org.atdiff.nn.inception;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * pytorch-fid's FIDInceptionA (Mixed_5b/5c/5d): branches 1x1 (64), 1x1 48 -> 5x5 64, 1x1 64 -> 3x3 96 -> 3x3 96,
 * and average pool (padding excluded) -> 1x1 poolFeatures; 224 + poolFeatures channels out, spatial size kept.
 */
public final class FidInceptionA implements InceptionBlock {
    private final ConvBnRelu heads;
    private final ConvBnRelu branch5x5_2;
    private final ConvBnRelu branch3x3dbl_2;
    private final ConvBnRelu branch3x3dbl_3;
    private final ConvBnRelu branchPool;

    public FidInceptionA(WeightSource w, String name, long in, long poolFeatures) {
        heads = ConvBnRelu.stack(
                ConvBnRelu.load(w, name + ".branch1x1", in, 64, 1, 1, 1, 0, 0),
                ConvBnRelu.load(w, name + ".branch5x5_1", in, 48, 1, 1, 1, 0, 0),
                ConvBnRelu.load(w, name + ".branch3x3dbl_1", in, 64, 1, 1, 1, 0, 0));
        branch5x5_2 = ConvBnRelu.load(w, name + ".branch5x5_2", 48, 64, 5, 5, 1, 2, 2);
        branch3x3dbl_2 = ConvBnRelu.load(w, name + ".branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
        branch3x3dbl_3 = ConvBnRelu.load(w, name + ".branch3x3dbl_3", 96, 96, 3, 3, 1, 1, 1);
        branchPool = ConvBnRelu.load(w, name + ".branch_pool", in, poolFeatures, 1, 1, 1, 0, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = heads.forward(x);
        Tensor b1 = h.narrow(1, 0, 64);
        Tensor b5 = branch5x5_2.forward(h.narrow(1, 64, 48));
        Tensor b3 = branch3x3dbl_3.forward(branch3x3dbl_2.forward(h.narrow(1, 112, 64)));
        Tensor bp = branchPool.forward(BranchPool.AVERAGE_EXCLUDING_PADDING.apply(x));
        return Concat.channels(b1, b5, b3, bp);
    }

    @Override
    public List<ConvBnRelu> convs() {
        return List.of(heads, branch5x5_2, branch3x3dbl_2, branch3x3dbl_3, branchPool);
    }
}
