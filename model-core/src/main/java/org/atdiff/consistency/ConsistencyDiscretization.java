package org.atdiff.consistency;

import java.util.Arrays;

/**
 * The N discretisation points t_0 = 0 < t_1 < ... < t_{N-1} = T-1 (schedule timesteps) between which consistency
 * is enforced. The noise levels follow Karras et al. 2022, eq. 5 (used by Song et al. 2023, sec. 5 and Appendix C):
 * sigma_i = (sigma_min^{1/rho} + i / (N-1) (sigma_max^{1/rho} - sigma_min^{1/rho}))^rho, each mapped to the timestep
 * whose sigma is nearest in log sigma. Where rounding puts two points on one timestep (near t = 0, where the discrete
 * schedule is coarser than the Karras grid), the later point moves to the next free timestep, so that exactly N
 * distinct timesteps remain.
 */
public final class ConsistencyDiscretization {
    private final ConsistencyParameterization parameterization;
    private final int[] timesteps;

    /**
     * @param points N, in [2, T]
     * @param rho    the Karras exponent (7 in Song et al. 2023), > 0
     */
    public ConsistencyDiscretization(ConsistencyParameterization parameterization, int points, double rho) {
        int T = parameterization.timesteps();
        if (points < 2 || points > T) {
            throw new IllegalArgumentException("the number of discretisation points (cm.discretization) must be in [2, "
                    + T + "] for T = " + T + ": " + points);
        }
        if (!(rho > 0) || Double.isInfinite(rho)) throw new IllegalArgumentException("cm.rho must be positive: " + rho);
        this.parameterization = parameterization;
        double lo = Math.pow(parameterization.sigmaMin(), 1 / rho), hi = Math.pow(parameterization.sigmaMax(), 1 / rho);
        int[] t = new int[points];
        for (int i = 0; i < points; i++) t[i] = nearest(Math.pow(lo + (hi - lo) * i / (points - 1), rho));
        for (int i = 1; i < points; i++) t[i] = Math.max(t[i], t[i - 1] + 1);
        t[0] = 0;
        t[points - 1] = T - 1;
        for (int i = points - 2; i >= 0; i--) t[i] = Math.min(t[i], t[i + 1] - 1);
        this.timesteps = t;
    }

    public ConsistencyParameterization parameterization() {
        return parameterization;
    }

    /** N. */
    public int points() {
        return timesteps.length;
    }

    /** The schedule timestep t_n of point n. */
    public int timestep(int n) {
        return timesteps[n];
    }

    /** sigma at point n. */
    public double sigma(int n) {
        return parameterization.sigma(timesteps[n]);
    }

    /** All N timesteps, increasing. */
    public int[] timesteps() {
        return timesteps.clone();
    }

    /** The timestep whose sigma is nearest to s in log sigma. */
    private int nearest(double s) {
        int lo = 0, hi = parameterization.timesteps() - 1;
        while (hi - lo > 1) { // sigma(lo) <= s <= sigma(hi) once narrowed
            int mid = (lo + hi) >>> 1;
            if (parameterization.sigma(mid) <= s) lo = mid;
            else hi = mid;
        }
        double l = Math.log(s);
        return Math.abs(Math.log(parameterization.sigma(lo)) - l) <= Math.abs(Math.log(parameterization.sigma(hi)) - l)
                ? lo : hi;
    }

    @Override
    public String toString() {
        return "ConsistencyDiscretization" + Arrays.toString(timesteps);
    }
}
