package org.atdiff.diffusion;

/**
 * The cosine schedule of Nichol and Dhariwal, "Improved Denoising Diffusion Probabilistic Models" (2021),
 * eq. 17: abar(t) = f(t) / f(0), f(t) = cos(((t/T + s) / (1 + s)) * pi/2)^2, s = 0.008, with
 * beta_t = 1 - abar(t)/abar(t-1) clipped to 0.999.
 */
public final class CosineSchedule extends NoiseSchedule {
    static final double OFFSET = 0.008;
    static final double MAX_BETA = 0.999;

    public CosineSchedule(int timesteps) {
        super(betas(timesteps));
    }

    /** abar(t) for continuous t in [0, 1] (eq. 17). */
    static double alphaBarContinuous(double t) {
        double c = Math.cos((t + OFFSET) / (1 + OFFSET) * Math.PI / 2);
        return c * c;
    }

    static double[] betas(int timesteps) {
        if (timesteps < 1) throw new IllegalArgumentException("timesteps must be >= 1: " + timesteps);
        double[] b = new double[timesteps];
        for (int i = 0; i < timesteps; i++) {
            double t1 = (double) i / timesteps, t2 = (double) (i + 1) / timesteps;
            b[i] = Math.min(1 - alphaBarContinuous(t2) / alphaBarContinuous(t1), MAX_BETA);
        }
        return b;
    }
}
