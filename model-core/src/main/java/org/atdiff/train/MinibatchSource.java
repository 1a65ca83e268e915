package org.atdiff.train;

/**
 * An endless supply of minibatches for one worker. {@link TrainingLoop} calls {@link #next()} inside the step's
 * PointerScope, so tensors made there are freed when the step ends.
 */
@FunctionalInterface
public interface MinibatchSource {
    Minibatch next();
}
