package org.atdiff.train;

import org.bytedeco.pytorch.Tensor;

/**
 * One minibatch of training data.
 *
 * @param images clean images x0, float [B, C, H, W] in [-1, 1]
 * @param labels class labels, long [B], or null when unconditional
 */
public record Minibatch(Tensor images, Tensor labels) {
    public Minibatch {
        if (images == null) throw new IllegalArgumentException("minibatch images must be given");
    }
}
