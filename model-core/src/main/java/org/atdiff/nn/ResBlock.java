package org.atdiff.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * ADM's residual block with scale-shift norm (Nichol and Dhariwal 2021, improved-diffusion unet.py):
 * h = conv(SiLU(GN(x))); [s, b] = Linear(SiLU(emb)); h = GN(h) * (1 + s) + b;
 * out = skip(x) + conv_0(dropout(SiLU(h))), where conv_0 starts at zero and skip is a 1x1 conv when the
 * channel count changes (identity otherwise). Parameter names follow improved-diffusion.
 *
 * <p>A resampling block (guided-diffusion's ResBlock with up or down, Dhariwal and Nichol 2021 sec. 3) changes the
 * resolution between SiLU(GN(x)) and the first conv, and resamples x for the skip the same way: a 2x2 average pool
 * to halve it, nearest-neighbour interpolation to double it. It has the same parameters as a plain block.
 */
final class ResBlock implements TimestepBlock {
    /** What a block does to the resolution. */
    enum Resample { NONE, DOWN, UP }

    private final GroupNormLayer inNorm;
    private final ConvLayer inConv;
    private final LinearLayer embLinear;
    private final GroupNormLayer outNorm;
    private final ConvLayer outConv;
    private final ConvLayer skip;
    private final DropoutMasks dropout;
    private final double p;
    private final int outChannels;
    private final Resample resample;
    private static final Scalar ONE = new Scalar(1.0);

    static {
        ONE.retainReference(); // outlives any PointerScope active when the class loads
    }

    ResBlock(ParameterStore store, String name, int in, int out, int embDim, double p, DropoutMasks dropout) {
        this(store, name, in, out, embDim, p, dropout, Resample.NONE);
    }

    ResBlock(ParameterStore store, String name, int in, int out, int embDim, double p, DropoutMasks dropout,
             Resample resample) {
        inNorm = new GroupNormLayer(store, name + ".in_layers.0", in);
        inConv = new ConvLayer(store, name + ".in_layers.2", in, out, 3, 1, false);
        embLinear = new LinearLayer(store, name + ".emb_layers.1", embDim, 2 * out);
        outNorm = new GroupNormLayer(store, name + ".out_layers.0", out);
        outConv = new ConvLayer(store, name + ".out_layers.3", out, out, 3, 1, true);
        skip = in == out ? null : new ConvLayer(store, name + ".skip_connection", in, out, 1, 1, false);
        this.dropout = dropout;
        this.p = p;
        this.outChannels = out;
        this.resample = resample;
    }

    @Override
    public Tensor forward(Tensor x, Tensor embAct) {
        Tensor h = torch.silu(inNorm.forward(x));
        if (resample != Resample.NONE) {
            h = resampled(h);
            x = resampled(x);
        }
        h = inConv.forward(h);
        Tensor e = embLinear.forward(embAct).unsqueeze(2).unsqueeze(3); // [B, 2C, 1, 1]
        TensorVector scaleShift = e.split(outChannels, 1);
        // scale-shift norm: GN(h) * (1 + scale) + shift
        h = torch.addcmul(scaleShift.get(1), outNorm.forward(h), scaleShift.get(0).add(ONE));
        h = outConv.forward(dropout.apply(torch.silu(h), p));
        return (skip == null ? x : skip.forward(x)).add(h);
    }

    private Tensor resampled(Tensor t) {
        if (resample == Resample.DOWN) return torch.avg_pool2d(t, 2, 2); // kernel 2x2, stride = kernel
        return Upsample.nearest2x(t);
    }
}
