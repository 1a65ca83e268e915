package org.atdiff.tensor;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * libtorch's CPU autocast set for the current thread until closed, then the previous state restored: the one place
 * that turns it on ({@code torch.autocast("cpu", dtype)}: matrix products and convolutions run in {@code dtype}, ops
 * that need range stay in float32, autograd casts gradients back to each leaf's dtype) or off (a float32 island inside
 * an autocast region). The cast-weight cache is off inside every scope, because bytedeco exposes no way to clear it:
 * cached copies would go stale once the optimizer changes the weights, and would be kept until the thread ends.
 */
public final class AutocastScope implements AutoCloseable {
    private final boolean wasEnabled;
    private final ScalarType previousType;
    private final boolean previousCache;

    private AutocastScope(boolean enabled, ScalarType dtype) {
        if (dtype == null) throw new IllegalArgumentException("autocast dtype is null");
        wasEnabled = torch.is_autocast_enabled(DeviceType.CPU);
        previousType = torch.get_autocast_dtype(DeviceType.CPU);
        previousCache = torch.is_autocast_cache_enabled();
        torch.set_autocast_cache_enabled(false);
        torch.set_autocast_dtype(DeviceType.CPU, dtype);
        torch.set_autocast_enabled(DeviceType.CPU, enabled);
    }

    /** Autocast on in {@code dtype}, BFloat16 (the one CPU autocast supports besides Half). */
    public static AutocastScope on(ScalarType dtype) {
        return new AutocastScope(true, dtype);
    }

    /** Autocast off (the dtype it had is kept for when it is turned back on). */
    public static AutocastScope off() {
        return new AutocastScope(false, torch.get_autocast_dtype(DeviceType.CPU));
    }

    /** Autocast in {@code dtype} when {@code enabled}, off otherwise. */
    public static AutocastScope set(boolean enabled, ScalarType dtype) {
        return new AutocastScope(enabled, dtype);
    }

    /** Whether CPU autocast is on for the current thread. */
    public static boolean enabled() {
        return torch.is_autocast_enabled(DeviceType.CPU);
    }

    /** Whether CPU autocast is on for the current thread and runs its products in bfloat16. */
    public static boolean inBf16() {
        return enabled() && torch.get_autocast_dtype(DeviceType.CPU).intern() == ScalarType.BFloat16;
    }

    @Override
    public void close() {
        torch.set_autocast_enabled(DeviceType.CPU, wasEnabled);
        torch.set_autocast_dtype(DeviceType.CPU, previousType);
        torch.set_autocast_cache_enabled(previousCache);
    }
}
