package org.atdiff.sampling;

import java.util.Arrays;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/** Checks of a sampler's inputs that every sampler shares. */
final class SamplingInputs {
    private SamplingInputs() {}

    /** The shape of one row of x_T, after checking that x_T is a batch with one noise stream per row. */
    static long[] rowShape(Tensor xT, BatchNoise noise) {
        long[] shape = HostTensors.shape(xT);
        if (shape.length < 2) throw new IllegalArgumentException("xT must be a batch [B, ...]: " + Arrays.toString(shape));
        if (shape[0] != noise.rows()) {
            throw new IllegalArgumentException("xT has " + shape[0] + " rows but noise has " + noise.rows() + " streams");
        }
        return Arrays.copyOfRange(shape, 1, shape.length);
    }
}
