package org.atdiff.nn.inception;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * pytorch-fid's FIDInceptionE_1 (Mixed_7b, average pool excluding padding) and FIDInceptionE_2 (Mixed_7c, max pool),
 * told apart by {@link BranchPool}: branches 1x1 320; 1x1 384 -> (1x3 384 | 3x1 384); 1x1 448 -> 3x3 384 ->
 * (1x3 384 | 3x1 384); pool -> 1x1 192; 2048 channels out.
 */
public final class FidInceptionE implements InceptionBlock {
    private final BranchPool pool;
    private final ConvBnRelu heads;
    private final ConvBnRelu branch3x3_2a;
    private final ConvBnRelu branch3x3_2b;
    private final ConvBnRelu branch3x3dbl_2;
    private final ConvBnRelu branch3x3dbl_3a;
    private final ConvBnRelu branch3x3dbl_3b;
    private final ConvBnRelu branchPool;

    public FidInceptionE(WeightSource w, String name, long in, BranchPool pool) {
        this.pool = pool;
        heads = ConvBnRelu.stack(
                ConvBnRelu.load(w, name + ".branch1x1", in, 320, 1, 1, 1, 0, 0),
                ConvBnRelu.load(w, name + ".branch3x3_1", in, 384, 1, 1, 1, 0, 0),
                ConvBnRelu.load(w, name + ".branch3x3dbl_1", in, 448, 1, 1, 1, 0, 0));
        branch3x3_2a = ConvBnRelu.load(w, name + ".branch3x3_2a", 384, 384, 1, 3, 1, 0, 1);
        branch3x3_2b = ConvBnRelu.load(w, name + ".branch3x3_2b", 384, 384, 3, 1, 1, 1, 0);
        branch3x3dbl_2 = ConvBnRelu.load(w, name + ".branch3x3dbl_2", 448, 384, 3, 3, 1, 1, 1);
        branch3x3dbl_3a = ConvBnRelu.load(w, name + ".branch3x3dbl_3a", 384, 384, 1, 3, 1, 0, 1);
        branch3x3dbl_3b = ConvBnRelu.load(w, name + ".branch3x3dbl_3b", 384, 384, 3, 1, 1, 1, 0);
        branchPool = ConvBnRelu.load(w, name + ".branch_pool", in, 192, 1, 1, 1, 0, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = heads.forward(x);
        Tensor b1 = h.narrow(1, 0, 320);
        Tensor b3 = h.narrow(1, 320, 384).contiguous();
        Tensor bd = branch3x3dbl_2.forward(h.narrow(1, 704, 448));
        Tensor bp = branchPool.forward(pool.apply(x));
        return Concat.channels(b1, branch3x3_2a.forward(b3), branch3x3_2b.forward(b3),
                branch3x3dbl_3a.forward(bd), branch3x3dbl_3b.forward(bd), bp);
    }

    @Override
    public List<ConvBnRelu> convs() {
        return List.of(heads, branch3x3_2a, branch3x3_2b, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b,
                branchPool);
    }
}
