package org.atdiff.nn;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Turns libtorch's CPU autocast on for the current thread until closed, then restores the previous state (the
 * equivalent of {@code torch.autocast("cpu", dtype)}): matrix products and convolutions run in {@code dtype}, ops that
 * need range stay in float32, and autograd casts gradients back to each leaf's dtype. The cast-weight cache is off,
 * because bytedeco exposes no way to clear it: cached copies would go stale once the optimizer changes the weights.
 */
public final class AutocastScope implements AutoCloseable {
    private final boolean wasEnabled;
    private final ScalarType previousType;
    private final boolean previousCache;

    /** @param dtype the lower precision, BFloat16 (the one CPU autocast supports besides Half) */
    public AutocastScope(ScalarType dtype) {
        if (dtype == null) throw new IllegalArgumentException("autocast dtype is null");
        wasEnabled = torch.is_autocast_enabled(DeviceType.CPU);
        previousType = torch.get_autocast_dtype(DeviceType.CPU);
        previousCache = torch.is_autocast_cache_enabled();
        torch.set_autocast_cache_enabled(false);
        torch.set_autocast_dtype(DeviceType.CPU, dtype);
        torch.set_autocast_enabled(DeviceType.CPU, true);
    }

    /** Whether CPU autocast is on for the current thread. */
    public static boolean enabled() {
        return torch.is_autocast_enabled(DeviceType.CPU);
    }

    /** Autocast off for the current thread until closed, then back on (a float32 island inside an autocast region). */
    static Suspended suspend() {
        torch.set_autocast_enabled(DeviceType.CPU, false);
        return new Suspended();
    }

    /** What {@link #suspend} returns: closing it turns autocast back on. */
    static final class Suspended implements AutoCloseable {
        private Suspended() {}

        @Override
        public void close() {
            torch.set_autocast_enabled(DeviceType.CPU, true);
        }
    }

    @Override
    public void close() {
        torch.set_autocast_enabled(DeviceType.CPU, wasEnabled);
        torch.set_autocast_dtype(DeviceType.CPU, previousType);
        torch.set_autocast_cache_enabled(previousCache);
    }
}
