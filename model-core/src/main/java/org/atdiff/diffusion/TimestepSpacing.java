package org.atdiff.diffusion;

import org.atdiff.settings.SettingChecks;

/**
 * Which n of a schedule's T timesteps a sampler with n function evaluations visits ({@code sample.spacing}); every
 * rule returns n distinct timesteps in increasing order. A sampler starts from x_T ~ N(0, I) at the largest kept
 * timestep whatever it is, as improved-diffusion and guided-diffusion do: only {@link #TRAILING} always keeps T-1, so
 * under {@link #LEADING} (largest kept t = (n-1) s) and for n = 1 under {@link #LINSPACE} (kept t = 0) the sampler
 * treats pure noise as x at a t where abar is not ~0.
 */
public enum TimestepSpacing {
    /**
     * Evenly spaced, "trailing": t_k = round(T - k T/n) - 1 for k = 0..n-1, i.e. T-1, T-1-T/n, ..., T/n - 1
     * (diffusers' timestep_spacing="trailing"; Lin et al., "Common Diffusion Noise Schedules and Sample Steps
     * are Flawed", 2024, Table 2). Rounding is half-to-even, as numpy's. Always keeps T-1.
     */
    TRAILING {
        @Override
        int[] choose(int T, int n) {
            int[] t = new int[n];
            for (int k = 0; k < n; k++) t[n - 1 - k] = (int) Math.rint(T - k * ((double) T / n)) - 1;
            return t;
        }
    },

    /**
     * The DDIM paper's stride as improved-diffusion and guided-diffusion run it ({@code timestep_respacing="ddimN"} in
     * respace.py's space_timesteps): the smallest integer stride s in [1, T-1] with exactly n multiples of s below T,
     * and the timesteps 0, s, 2s, ..., (n-1) s (s = T/n where n divides T). No such stride exists for some n (n = 1,
     * or e.g. n = 600 of T = 1000); those n are refused.
     */
    LEADING {
        @Override
        int[] choose(int T, int n) {
            for (int s = 1; s < T; s++) {
                if ((T + s - 1) / s == n) { // the count of 0, s, 2s, ... below T is ceil(T / s)
                    int[] t = new int[n];
                    for (int k = 0; k < n; k++) t[k] = k * s;
                    return t;
                }
            }
            throw new IllegalArgumentException("sample.spacing = leading (the DDIM stride of respace.py's ddimN) has no "
                    + "integer stride that keeps exactly " + n + " of T = " + T + " timesteps: " + n
                    + " steps; use trailing or linspace");
        }
    },

    /**
     * improved-diffusion's section rule with one section (respace.py's space_timesteps with section_counts [n]):
     * x_k = k (T-1)/(n-1) accumulated by repeated addition of the stride in double, each rounded half-to-even
     * (Python's round), so 0 and T-1 are kept; n = 1 keeps t = 0 only.
     */
    LINSPACE {
        @Override
        int[] choose(int T, int n) {
            double stride = n <= 1 ? 1 : (double) (T - 1) / (n - 1);
            int[] t = new int[n];
            double x = 0;
            for (int k = 0; k < n; k++) {
                t[k] = (int) Math.rint(x);
                x += stride;
            }
            return t;
        }
    };

    /** The name in configuration ({@code sample.spacing}). */
    public String key() {
        return SettingChecks.configName(this);
    }

    /** The rule of a configuration name. */
    public static TimestepSpacing named(String key) {
        return SettingChecks.choice("sample.spacing", key, values(), TimestepSpacing::key);
    }

    abstract int[] choose(int T, int n);

    /** The n kept timesteps of {@code schedule}, strictly increasing. */
    public int[] timesteps(NoiseSchedule schedule, int n) {
        if (n < 1 || n > schedule.timesteps()) {
            throw new IllegalArgumentException("number of steps must be in [1, " + schedule.timesteps() + "]: " + n);
        }
        return choose(schedule.timesteps(), n);
    }

    /** {@code schedule} respaced to the n timesteps of this rule. */
    public RespacedSchedule respace(NoiseSchedule schedule, int n) {
        return new RespacedSchedule(schedule, timesteps(schedule, n));
    }
}
