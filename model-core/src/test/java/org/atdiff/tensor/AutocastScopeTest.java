package org.atdiff.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atdiff.SingleThreadedTorch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scopes nest: each restores the autocast state, dtype and cast cache it found, and products run as the scope says. */
@ExtendWith(SingleThreadedTorch.class)
class AutocastScopeTest {
    private static ScalarType productType() {
        try (PointerScope scope = new PointerScope()) {
            Tensor a = torch.ones(4, 4);
            return torch.mm(a, a).scalar_type().intern();
        }
    }

    @Test
    void nestedScopesRunProductsAsTheInnermostSaysAndRestoreWhatTheyFound() {
        ScalarType dtypeBefore = torch.get_autocast_dtype(DeviceType.CPU).intern();
        boolean cacheBefore = torch.is_autocast_cache_enabled();
        assertFalse(AutocastScope.enabled());
        assertEquals(ScalarType.Float, productType());
        try (AutocastScope on = AutocastScope.on(ScalarType.BFloat16)) {
            assertTrue(AutocastScope.inBf16());
            assertFalse(torch.is_autocast_cache_enabled(), "no cast cache: it would go stale after an optimizer step");
            assertEquals(ScalarType.BFloat16, productType());
            try (AutocastScope off = AutocastScope.off()) {
                assertFalse(AutocastScope.enabled());
                assertFalse(AutocastScope.inBf16());
                assertEquals(ScalarType.Float, productType(), "a float32 island");
                try (AutocastScope again = AutocastScope.set(true, ScalarType.BFloat16)) {
                    assertEquals(ScalarType.BFloat16, productType());
                }
                assertFalse(AutocastScope.enabled(), "the island is back after the inner scope");
            }
            assertTrue(AutocastScope.inBf16(), "autocast is on again after the island");
            assertEquals(ScalarType.BFloat16, productType());
        }
        assertFalse(AutocastScope.enabled());
        assertEquals(dtypeBefore, torch.get_autocast_dtype(DeviceType.CPU).intern());
        assertEquals(cacheBefore, torch.is_autocast_cache_enabled());
        assertEquals(ScalarType.Float, productType());
    }

    @Test
    void setWithEnabledFalseLeavesProductsInFloat32() {
        try (AutocastScope cast = AutocastScope.set(false, ScalarType.BFloat16)) {
            assertFalse(AutocastScope.enabled());
            assertEquals(ScalarType.Float, productType());
        }
    }

    @Test
    void aNullDtypeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> AutocastScope.on(null));
        assertFalse(AutocastScope.enabled(), "a refused scope changes nothing");
    }
}
