package org.atdiff.diffusion;

/**
 * Which n of a schedule's T timesteps a sampler with n function evaluations visits; every rule returns n
 * distinct timesteps in increasing order, the last one T-1, so that sampling starts from pure noise.
 */
public enum TimestepSpacing {
    /**
     * Evenly spaced, "trailing": t_k = round(T - k T/n) - 1 for k = 0..n-1, i.e. T-1, T-1-T/n, ..., T/n - 1
     * (diffusers' timestep_spacing="trailing"; Lin et al., "Common Diffusion Noise Schedules and Sample Steps
     * are Flawed", 2024, Table 2). Rounding is half-to-even, as numpy's.
     */
    TRAILING {
        @Override
        int[] choose(NoiseSchedule schedule, int n) {
            int T = schedule.timesteps();
            int[] t = new int[n];
            for (int k = 0; k < n; k++) t[n - 1 - k] = (int) Math.rint(T - k * ((double) T / n)) - 1;
            return t;
        }
    },

    /**
     * Evenly spaced in log-SNR lambda between lambda(T-1) and lambda(0), each point mapped to the timestep
     * by linear interpolation of lambda and rounded (DPM-Solver, Lu et al. 2022, sec. 3.3; diffusers'
     * use_lu_lambdas). Where rounding puts two points on one timestep (near t = 0), the later point moves to
     * the next free timestep, so that exactly n distinct timesteps remain (diffusers keeps the duplicates;
     * dropping them would lower the number of function evaluations).
     */
    LOG_SNR {
        @Override
        int[] choose(NoiseSchedule schedule, int n) {
            int T = schedule.timesteps();
            double hi = schedule.logSnr(0), lo = schedule.logSnr(T - 1);
            int[] t = new int[n];
            int j = 0;
            for (int k = 0; k < n; k++) {
                double lambda = n == 1 ? lo : hi + (lo - hi) * k / (n - 1);
                while (j < T - 2 && schedule.logSnr(j + 1) > lambda) j++; // lambda(j) >= lambda > lambda(j+1)
                double frac = T == 1 ? 0 : (schedule.logSnr(j) - lambda) / (schedule.logSnr(j) - schedule.logSnr(j + 1));
                t[k] = (int) Math.rint(j + Math.max(0, Math.min(1, frac)));
            }
            for (int k = 1; k < n; k++) t[k] = Math.max(t[k], t[k - 1] + 1);
            t[n - 1] = T - 1;
            for (int k = n - 2; k >= 0; k--) t[k] = Math.min(t[k], t[k + 1] - 1);
            return t;
        }
    };

    abstract int[] choose(NoiseSchedule schedule, int n);

    /** The n kept timesteps of {@code schedule}, strictly increasing, ending at T-1. */
    public int[] timesteps(NoiseSchedule schedule, int n) {
        if (n < 1 || n > schedule.timesteps()) {
            throw new IllegalArgumentException("number of steps must be in [1, " + schedule.timesteps() + "]: " + n);
        }
        return choose(schedule, n);
    }

    /** {@code schedule} respaced to the n timesteps of this rule. */
    public RespacedSchedule respace(NoiseSchedule schedule, int n) {
        return new RespacedSchedule(schedule, timesteps(schedule, n));
    }
}
