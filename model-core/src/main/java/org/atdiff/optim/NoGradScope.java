package org.atdiff.optim;

import org.bytedeco.pytorch.GradMode;

/**
 * Disables autograd recording for the current thread until closed, then restores the previous mode
 * (the equivalent of torch.no_grad()). Use in try-with-resources around in-place weight updates.
 */
public final class NoGradScope implements AutoCloseable {
    private final boolean previous;

    public NoGradScope() {
        previous = GradMode.is_enabled();
        GradMode.set_enabled(false);
    }

    @Override
    public void close() {
        GradMode.set_enabled(previous);
    }
}
