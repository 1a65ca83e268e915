package org.atdiff.nn;

import java.util.LinkedHashMap;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/** A denoiser with trainable weights: what training objectives, optimizers, EMA and checkpoints work on. */
public interface TrainableDenoiser extends Denoiser {
    /** Trainable parameters, in an order that is the same on every replica of the same architecture. */
    List<Tensor> parameters();

    /** Named parameters and buffers in a fixed order, for checkpoints and EMA. */
    LinkedHashMap<String, Tensor> stateDict();

    /** Training mode (dropout on) or evaluation mode. */
    void train(boolean on);
}
