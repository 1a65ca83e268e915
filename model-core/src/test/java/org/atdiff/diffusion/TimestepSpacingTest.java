package org.atdiff.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TimestepSpacingTest {
    static void assertStrictlyIncreasingEndingAtLast(int[] t, int n, int T) {
        assertEquals(n, t.length);
        assertEquals(T - 1, t[n - 1]);
        assertTrue(t[0] >= 0);
        for (int k = 1; k < n; k++) assertTrue(t[k] > t[k - 1], "not strictly increasing at " + k);
    }

    @Test
    void trailingMatchesDiffusersTrailingSpacing() {
        NoiseSchedule s = new LinearSchedule(1000);
        // np.round(np.arange(1000, 0, -1000 / n)) - 1, sorted
        assertArrayEquals(new int[] {99, 199, 299, 399, 499, 599, 699, 799, 899, 999}, TimestepSpacing.TRAILING.timesteps(s, 10));
        assertArrayEquals(new int[] {332, 666, 999}, TimestepSpacing.TRAILING.timesteps(s, 3));
        assertArrayEquals(new int[] {999}, TimestepSpacing.TRAILING.timesteps(s, 1));
        for (int n : new int[] {1, 7, 10, 16, 50, 333, 999, 1000}) {
            assertStrictlyIncreasingEndingAtLast(TimestepSpacing.TRAILING.timesteps(s, n), n, 1000);
        }
        int[] all = TimestepSpacing.TRAILING.timesteps(s, 1000);
        for (int i = 0; i < 1000; i++) assertEquals(i, all[i]);
    }

    @Test
    void logSnrSpacingIsEvenInLambdaAndDistinct() {
        for (String name : new String[] {"linear", "cosine"}) {
            NoiseSchedule s = NoiseSchedule.named(name, 1000);
            for (int n : new int[] {1, 2, 5, 10, 20, 50, 100, 1000}) {
                int[] t = TimestepSpacing.LOG_SNR.timesteps(s, n);
                assertStrictlyIncreasingEndingAtLast(t, n, 1000);
                if (n > 1) assertEquals(0, t[0], name + " n=" + n);
                for (int k = 1; k < n; k++) assertTrue(s.logSnr(t[k]) < s.logSnr(t[k - 1]), "lambda not monotone");
            }
        }
        // where no two grid points round to one timestep (linear with 10 steps, cosine with 5; cosine with 10 puts
        // three points on 997..999), each kept timestep is its grid point's interpolated timestep rounded: the grid
        // value lies within lambda(t - 1) .. lambda(t + 1)
        assertNextToGrid(NoiseSchedule.named("linear", 1000), 10);
        assertNextToGrid(NoiseSchedule.named("cosine", 1000), 5);
    }

    static void assertNextToGrid(NoiseSchedule s, int n) {
        int[] t = TimestepSpacing.LOG_SNR.timesteps(s, n);
        int last = s.timesteps() - 1;
        double hi = s.logSnr(0), lo = s.logSnr(last);
        for (int k = 0; k < n; k++) {
            double grid = hi + (lo - hi) * k / (n - 1);
            int i = t[k];
            assertTrue(grid <= s.logSnr(Math.max(i - 1, 0)) + 1e-12 && grid >= s.logSnr(Math.min(i + 1, last)) - 1e-12,
                    "grid point " + k + " (lambda " + grid + ") not next to timestep " + i);
        }
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
