package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;

/**
 * The exact law of a sampler's output when the model is the optimal denoiser for data N(m, s^2) and x_T ~ N(0, 1):
 * every step is affine in x and in fresh noise, so the output is x0 = slope * x_T + offset + (independent Gaussian
 * noise of variance noiseVar). Written from the papers' update rules in scalar form, independently of the
 * samplers' tensor code; x0 clipping is ignored (the tests pick m, s for which it does not matter).
 */
final class GaussianSamplerLaw {
    /** x0 = slope x_T + offset + N(0, noiseVar). */
    record Affine(double slope, double offset, double noiseVar) {
        double mean() {
            return offset;
        }

        double std() {
            return Math.sqrt(slope * slope + noiseVar);
        }

        /** x' = a x + b + N(0, v). */
        Affine then(double a, double b, double v) {
            return new Affine(a * slope, a * offset + b, a * a * noiseVar + v);
        }
    }

    private final double m, s;

    GaussianSamplerLaw(double m, double s) {
        this.m = m;
        this.s = s;
    }

    /** eps*(x) = e1 x + e0 at abar a. */
    private double e1(double a) {
        return Math.sqrt(1 - a) / (a * s * s + 1 - a);
    }

    private double e0(double a) {
        return -Math.sqrt(1 - a) * Math.sqrt(a) * m / (a * s * s + 1 - a);
    }

    /** x0(x) = c1 x + c0 with x0 = (x - sqrt(1-a) eps) / sqrt(a). */
    private double c1(double a) {
        return (1 - Math.sqrt(1 - a) * e1(a)) / Math.sqrt(a);
    }

    private double c0(double a) {
        return -Math.sqrt(1 - a) * e0(a) / Math.sqrt(a);
    }

    private static double[] alphaBars(NoiseSchedule parent, int[] kept) {
        double[] ab = new double[kept.length];
        for (int k = 0; k < kept.length; k++) ab[k] = parent.alphaBar(kept[k]);
        return ab;
    }

    /** Ancestral sampling with the posterior q(x_{t'} | x_t, x0) and its variance (DDPM eq. 6-7), t' the previous kept step. */
    Affine ddpm(NoiseSchedule parent, int[] kept) {
        double[] ab = alphaBars(parent, kept);
        Affine x = new Affine(1, 0, 0);
        for (int k = ab.length - 1; k >= 0; k--) {
            double a = ab[k], ap = k > 0 ? ab[k - 1] : 1.0, beta = 1 - a / ap;
            double kx0 = beta * Math.sqrt(ap) / (1 - a), kx = (1 - ap) * Math.sqrt(1 - beta) / (1 - a);
            x = x.then(kx0 * c1(a) + kx, kx0 * c0(a), beta * (1 - ap) / (1 - a));
        }
        return x;
    }

    /** DDIM eq. 12 with sigma from eq. 16. */
    Affine ddim(NoiseSchedule parent, int[] kept, double eta) {
        double[] ab = alphaBars(parent, kept);
        Affine x = new Affine(1, 0, 0);
        for (int k = ab.length - 1; k >= 0; k--) {
            double a = ab[k], ap = k > 0 ? ab[k - 1] : 1.0;
            double sig2 = eta * eta * (1 - ap) / (1 - a) * (1 - a / ap);
            double keps = Math.sqrt(1 - ap - sig2);
            x = x.then(Math.sqrt(ap) * c1(a) + keps * e1(a), Math.sqrt(ap) * c0(a) + keps * e0(a), sig2);
        }
        return x;
    }

    /**
     * DPM-Solver++(2M), Lu et al. 2022 Algorithm 2, on levels abar[0] > ... > abar[n] (abar[n] the noisiest): the model
     * at levels n..1, each step to the level below; the first step first order, the last one too when n < 10 (DPM-Solver's
     * lower_order_final); the result is x at level 0, with no further evaluation.
     */
    Affine dpmSolverPlusPlus2M(double[] ab) {
        int n = ab.length - 1;
        double xp = 1, xq = 0; // x = xp x_T + xq
        double dPrevP = 0, dPrevQ = 0, hPrev = 0;
        for (int k = n; k >= 1; k--) {
            double a = ab[k], an = ab[k - 1];
            double dp = c1(a) * xp, dq = c1(a) * xq + c0(a); // x0 prediction, affine in x_T
            double h = Math.log(Math.sqrt(an / (1 - an))) - Math.log(Math.sqrt(a / (1 - a)));
            double useP = dp, useQ = dq;
            if (k < n && !(k == 1 && n < 10)) {
                double r = hPrev / h;
                useP = (1 + 1 / (2 * r)) * dp - 1 / (2 * r) * dPrevP;
                useQ = (1 + 1 / (2 * r)) * dq - 1 / (2 * r) * dPrevQ;
            }
            double ratio = Math.sqrt(1 - an) / Math.sqrt(1 - a), k0 = -Math.sqrt(an) * (Math.exp(-h) - 1);
            xp = ratio * xp + k0 * useP;
            xq = ratio * xq + k0 * useQ;
            dPrevP = dp;
            dPrevQ = dq;
            hPrev = h;
        }
        return new Affine(xp, xq, 0);
    }
}
