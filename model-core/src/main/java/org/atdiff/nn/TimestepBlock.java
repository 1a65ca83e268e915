package org.atdiff.nn;

import org.bytedeco.pytorch.Tensor;

/** A U-Net block that may use the timestep embedding (ADM's TimestepBlock); blocks that do not ignore it. */
interface TimestepBlock {
    /**
     * @param x      feature map [B, C, H, W]
     * @param embAct SiLU of the time (and class) embedding, [B, 4 * base channels], computed once per forward
     */
    Tensor forward(Tensor x, Tensor embAct);
}
