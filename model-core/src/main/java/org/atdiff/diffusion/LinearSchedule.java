package org.atdiff.diffusion;

/**
 * The DDPM linear schedule: beta linear from 1e-4 to 0.02 for T = 1000, rescaled by 1000/T for other T
 * (Ho et al. 2020, sec. 4; improved-diffusion's get_named_beta_schedule).
 */
public final class LinearSchedule extends NoiseSchedule {
    public LinearSchedule(int timesteps) {
        super(betas(timesteps));
    }

    static double[] betas(int timesteps) {
        if (timesteps < 1) throw new IllegalArgumentException("timesteps must be >= 1: " + timesteps);
        double scale = 1000.0 / timesteps;
        double start = scale * 1e-4, end = scale * 0.02;
        double[] b = new double[timesteps];
        for (int i = 0; i < timesteps; i++) {
            b[i] = timesteps == 1 ? start : start + (end - start) * i / (timesteps - 1);
        }
        return b;
    }
}
