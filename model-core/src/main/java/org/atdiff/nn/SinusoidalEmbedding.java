package org.atdiff.nn;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Sinusoidal timestep embedding ("Attention is all you need", Vaswani et al. 2017, sec. 3.5, as used by DDPM):
 * emb(t) = [cos(t * f_0), ..., cos(t * f_{d/2-1}), sin(t * f_0), ..., sin(t * f_{d/2-1})] with
 * f_i = 10000^(-i / (d/2)), in ADM's order (cosines first).
 */
final class SinusoidalEmbedding {
    private final Tensor frequencies; // [1, d/2]

    SinusoidalEmbedding(int dim, ScalarType dtype) {
        int half = dim / 2;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) f[i] = Math.exp(-Math.log(10000.0) * i / half);
        Tensor t = HostTensors.fromDoubles(f, 1, half);
        frequencies = dtype == ScalarType.Double ? t : t.to(dtype);
        frequencies.retainReference();
    }

    /** @param t timesteps [B] (any floating dtype) @return [B, dim] */
    Tensor forward(Tensor t) {
        Tensor args = t.to(frequencies.scalar_type()).unsqueeze(1).mul(frequencies);
        return torch.cat(new TensorVector(args.cos(), args.sin()), 1);
    }
}
