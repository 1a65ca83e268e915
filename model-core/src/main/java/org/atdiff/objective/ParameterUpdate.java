package org.atdiff.objective;

/**
 * What a training objective calls once per optimizer step it takes, after a backward pass has filled every
 * parameter's gradient. The trainer's implementation averages the gradients across workers, checks the loss,
 * clips, steps the optimizer, updates the EMA and zeroes the gradients.
 */
@FunctionalInterface
public interface ParameterUpdate {
    /** @param loss the local loss whose gradient is now in the parameters' {@code grad()} */
    void apply(double loss);
}
