package org.atdiff.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * The spacing rules against the rules they reproduce, written out here independently: diffusers' "trailing"
 * (np.round(np.arange(T, 0, -T / n)) - 1), the DDIM stride of improved-diffusion / guided-diffusion respace.py's
 * "ddimN" (timesteps 0, s, 2s, ... with the smallest stride s giving exactly n), and respace.py's one-section rule
 * (round(k (T-1) / (n-1))). The literal arrays are the ones improved-diffusion's space_timesteps returns.
 */
class TimestepSpacingTest {
    static final NoiseSchedule T1000 = new LinearSchedule(1000);

    static void assertStrictlyIncreasing(int[] t, int n, int T) {
        assertEquals(n, t.length);
        assertTrue(t[0] >= 0 && t[n - 1] <= T - 1);
        for (int k = 1; k < n; k++) assertTrue(t[k] > t[k - 1], "not strictly increasing at " + k);
    }

    @Test
    void trailingEndsAtTheLastTimestepInStepsOfTOverN() {
        assertArrayEquals(new int[] {199, 399, 599, 799, 999}, TimestepSpacing.TRAILING.timesteps(T1000, 5));
        assertArrayEquals(new int[] {99, 199, 299, 399, 499, 599, 699, 799, 899, 999}, TimestepSpacing.TRAILING.timesteps(T1000, 10));
        int[] fifty = TimestepSpacing.TRAILING.timesteps(T1000, 50);
        for (int k = 0; k < 50; k++) assertEquals(20 * (k + 1) - 1, fifty[k], "n=50, k=" + k); // T/n (k+1) - 1
        assertArrayEquals(new int[] {332, 666, 999}, TimestepSpacing.TRAILING.timesteps(T1000, 3)); // round(333.33) - 1
        assertArrayEquals(new int[] {999}, TimestepSpacing.TRAILING.timesteps(T1000, 1));
        for (int n : new int[] {1, 7, 10, 16, 50, 333, 999, 1000}) {
            int[] t = TimestepSpacing.TRAILING.timesteps(T1000, n);
            assertStrictlyIncreasing(t, n, 1000);
            assertEquals(999, t[n - 1]);
        }
        int[] all = TimestepSpacing.TRAILING.timesteps(T1000, 1000);
        for (int i = 0; i < 1000; i++) assertEquals(i, all[i]);
    }

    @Test
    void leadingIsTheDdimStrideFromZero() {
        // ddimN: stride T/n from t = 0 where n divides T
        assertArrayEquals(new int[] {0, 200, 400, 600, 800}, TimestepSpacing.LEADING.timesteps(T1000, 5));
        assertArrayEquals(new int[] {0, 100, 200, 300, 400, 500, 600, 700, 800, 900}, TimestepSpacing.LEADING.timesteps(T1000, 10));
        int[] fifty = TimestepSpacing.LEADING.timesteps(T1000, 50);
        for (int k = 0; k < 50; k++) assertEquals(k * (1000 / 50), fifty[k], "n=50, k=" + k);
        // otherwise the smallest integer stride s with ceil(T/s) = n: 334 for n = 3, 143 for n = 7
        assertArrayEquals(new int[] {0, 334, 668}, TimestepSpacing.LEADING.timesteps(T1000, 3));
        assertArrayEquals(new int[] {0, 143, 286, 429, 572, 715, 858}, TimestepSpacing.LEADING.timesteps(T1000, 7));
        assertArrayEquals(new int[] {0, 1, 2, 3}, TimestepSpacing.LEADING.timesteps(new CosineSchedule(4), 4));
        // respace.py raises where no stride in [1, T-1] gives exactly n: n = 1, and n = 600 (stride 1 gives 1000, 2 gives 500)
        for (int n : new int[] {1, 600}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TimestepSpacing.LEADING.timesteps(T1000, n));
            assertTrue(e.getMessage().contains("leading") && e.getMessage().contains(n + " steps"), e.getMessage());
        }
    }

    @Test
    void linspaceIsImprovedDiffusionsOneSectionRule() {
        assertArrayEquals(new int[] {0, 250, 500, 749, 999}, TimestepSpacing.LINSPACE.timesteps(T1000, 5)); // 499.5 -> 500, 749.25 -> 749
        assertArrayEquals(new int[] {0, 111, 222, 333, 444, 555, 666, 777, 888, 999}, TimestepSpacing.LINSPACE.timesteps(T1000, 10));
        int[] fifty = {0, 20, 41, 61, 82, 102, 122, 143, 163, 183, 204, 224, 245, 265, 285, 306, 326, 347, 367, 387, 408,
            428, 449, 469, 489, 510, 530, 550, 571, 591, 612, 632, 652, 673, 693, 714, 734, 754, 775, 795, 816, 836, 856,
            877, 897, 917, 938, 958, 979, 999};
        assertArrayEquals(fifty, TimestepSpacing.LINSPACE.timesteps(T1000, 50));
        for (int k = 0; k < 50; k++) {
            // round(k 999 / 49) in exact integer arithmetic: 49 does not divide 2 k 999 unless k = 0 or 49, so no ties
            assertEquals((2 * k * 999 + 49) / 98, fifty[k], "n=50, k=" + k);
        }
        assertArrayEquals(new int[] {0}, TimestepSpacing.LINSPACE.timesteps(T1000, 1)); // one section of one step: t = 0
        assertArrayEquals(new int[] {0, 500, 999}, TimestepSpacing.LINSPACE.timesteps(T1000, 3));
        int[] all = TimestepSpacing.LINSPACE.timesteps(T1000, 1000);
        for (int i = 0; i < 1000; i++) assertEquals(i, all[i]);
        for (int n : new int[] {2, 7, 16, 333, 999}) {
            int[] t = TimestepSpacing.LINSPACE.timesteps(T1000, n);
            assertStrictlyIncreasing(t, n, 1000);
            assertEquals(0, t[0]);
            assertEquals(999, t[n - 1]);
        }
    }

    @Test
    void rulesAreNamedAsConfigurationNamesThem() {
        assertEquals(java.util.List.of("trailing", "leading", "linspace"),
                java.util.Arrays.stream(TimestepSpacing.values()).map(TimestepSpacing::key).toList());
        for (TimestepSpacing s : TimestepSpacing.values()) assertSame(s, TimestepSpacing.named(s.key()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TimestepSpacing.named("uniform"));
        assertTrue(e.getMessage().contains("uniform") && e.getMessage().contains("linspace"), e.getMessage());
    }

    @Test
    void stepCountsOutsideOneToTAreRejected() {
        NoiseSchedule s = new LinearSchedule(100);
        for (TimestepSpacing sp : TimestepSpacing.values()) {
            for (int n : new int[] {0, -3, 101}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sp.timesteps(s, n));
                assertTrue(e.getMessage().contains(": " + n), e.getMessage());
            }
        }
    }
}
