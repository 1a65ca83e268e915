package org.atdiff.consistency;

import org.atdiff.diffusion.NoiseSchedule;

/**
 * Test schedule: beta linear from 1e-4 to {@code betaEnd} over T steps. With a small betaEnd the last noise level
 * sigma_max = sqrt((1 - abar) / abar) stays moderate (about 10 for T = 1000, betaEnd = 0.009), so that a tiny
 * student learns a one-step consistency function in a few hundred steps.
 */
final class MildSchedule extends NoiseSchedule {
    MildSchedule(int timesteps, double betaEnd) {
        super(betas(timesteps, betaEnd));
    }

    private static double[] betas(int t, double end) {
        double[] b = new double[t];
        for (int i = 0; i < t; i++) b[i] = 1e-4 + (end - 1e-4) * i / (t - 1);
        return b;
    }
}
