package org.atdiff.sampling;

import org.bytedeco.pytorch.Tensor;

/**
 * A tensor carried from one step's {@code PointerScope} to the next: a tensor made inside a step is retained
 * when it replaces the current one, and the one it replaces is released (freed), so each step frees its own
 * temporaries while the running state lives on. The initial tensor is borrowed and never released.
 */
final class CarriedTensor implements AutoCloseable {
    private Tensor current;
    private boolean owned;

    CarriedTensor(Tensor borrowed) {
        current = borrowed;
    }

    Tensor get() {
        return current;
    }

    void replace(Tensor next) {
        next.retainReference();
        if (owned) current.releaseReference();
        current = next;
        owned = true;
    }

    @Override
    public void close() {
        if (owned) current.releaseReference();
        owned = false;
        current = null;
    }
}
