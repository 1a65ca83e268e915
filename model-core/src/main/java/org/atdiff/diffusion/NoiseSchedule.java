package org.atdiff.diffusion;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * A discrete variance schedule beta_1..beta_T and every quantity derived from it, in double precision
 * (Ho et al., "Denoising Diffusion Probabilistic Models", 2020, eqs. 4, 6, 7). Index i = 0..T-1 is the
 * model's timestep; {@link #modelTimestep(int)} maps it to the timestep the network was trained on
 * (the identity except for a respaced schedule).
 */
public abstract class NoiseSchedule {
    private final double[] betas;
    private final double[] alphasCumprod;
    private final double[] alphasCumprodPrev;

    protected NoiseSchedule(double[] betas) {
        for (int i = 0; i < betas.length; i++) {
            if (!(betas[i] > 0 && betas[i] <= 1)) {
                throw new IllegalArgumentException("beta[" + i + "] = " + betas[i] + " is outside (0, 1]");
            }
        }
        this.betas = betas.clone();
        int n = betas.length;
        alphasCumprod = new double[n];
        alphasCumprodPrev = new double[n];
        double prod = 1.0;
        for (int i = 0; i < n; i++) {
            alphasCumprodPrev[i] = prod;
            prod *= 1.0 - betas[i]; // abar_t = prod_{s<=t} (1 - beta_s)
            alphasCumprod[i] = prod;
        }
    }

    /**
     * A schedule whose cumulative products abar_i are given and kept as they are, instead of being recomputed from
     * the betas (a respaced schedule keeps its parent's abar bit for bit). Each step must agree with its beta:
     * |abar_i / abar_{i-1} - (1 - beta_i)| <= 1e-12.
     */
    protected NoiseSchedule(double[] betas, double[] alphaBars) {
        this(betas);
        if (alphaBars.length != betas.length) {
            throw new IllegalArgumentException(alphaBars.length + " alpha bars for " + betas.length + " betas");
        }
        double prev = 1.0;
        for (int i = 0; i < alphaBars.length; i++) {
            if (!(Math.abs(alphaBars[i] / prev - (1 - betas[i])) <= 1e-12)) {
                throw new IllegalArgumentException("abar[" + i + "] = " + alphaBars[i] + " disagrees with beta["
                        + i + "] = " + betas[i] + " and abar[" + (i - 1) + "] = " + prev);
            }
            prev = alphaBars[i];
        }
        for (int i = 0; i < alphaBars.length; i++) {
            alphasCumprod[i] = alphaBars[i];
            alphasCumprodPrev[i] = i == 0 ? 1.0 : alphaBars[i - 1];
        }
    }

    /** Builds a schedule by name: {@code linear} or {@code cosine}. */
    public static NoiseSchedule named(String name, int timesteps) {
        return switch (name) {
            case "linear" -> new LinearSchedule(timesteps);
            case "cosine" -> new CosineSchedule(timesteps);
            default -> throw new IllegalArgumentException(
                    "unknown noise schedule '" + name + "' (expected linear or cosine)");
        };
    }

    public int timesteps() {
        return betas.length;
    }

    /** The timestep on the network's original scale for schedule index i (fractional for a schedule kept at fractional times). */
    public double modelTimestep(int i) {
        return i;
    }

    /** The model timestep at a fractional index t in [0, T-1]: t itself (a respaced schedule maps it). */
    public double modelTimestepAt(double t) {
        checkedFloor(t);
        return t;
    }

    /**
     * abar at a fractional index t in [0, T-1]: log abar linear between neighbouring indices, as the reference
     * implementation of DPM-Solver (Lu et al. 2022; NoiseScheduleVP, schedule='discrete') interpolates
     * log alpha = (log abar) / 2 for a discrete-time model.
     */
    public double alphaBarAt(double t) {
        int lo = checkedFloor(t);
        if (lo == t) return alphaBar(lo);
        double w = t - lo;
        return Math.exp((1 - w) * Math.log(alphaBar(lo)) + w * Math.log(alphaBar(lo + 1)));
    }

    /**
     * The fractional index t in [0, T-1] where the log-SNR of {@link #alphaBarAt} is lambda: the inverse of that
     * piecewise-linear log abar (DPM-Solver's NoiseScheduleVP.inverse_lambda), with log abar = -log(1 + e^{-lambda}).
     * lambda must lie in [logSnr(T-1), logSnr(0)].
     */
    public double timestepAtLogSnr(double lambda) {
        int last = timesteps() - 1;
        if (!(lambda <= logSnr(0) && lambda >= logSnr(last))) {
            throw new IllegalArgumentException("log-SNR " + lambda + " is outside the schedule's [" + logSnr(last) + ", "
                    + logSnr(0) + "]");
        }
        double target = -Math.log1p(Math.exp(-lambda)); // log abar = log sigmoid(lambda)
        int lo = 0, hi = last; // log abar decreases with t: find lo with logAbar(lo) >= target >= logAbar(lo + 1)
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (Math.log(alphaBar(mid)) >= target) lo = mid;
            else hi = mid;
        }
        if (lo == hi) return lo;
        double a = Math.log(alphaBar(lo)), b = Math.log(alphaBar(hi));
        return lo + Math.max(0, Math.min(1, (a - target) / (a - b)));
    }

    /** floor(t), after checking that t is in [0, T-1]. */
    protected final int checkedFloor(double t) {
        int last = timesteps() - 1;
        if (!(t >= 0 && t <= last)) throw new IllegalArgumentException("timestep must be in [0, " + last + "]: " + t);
        return (int) Math.floor(t);
    }

    public double beta(int i) {
        return betas[i];
    }

    /** abar_t. */
    public double alphaBar(int i) {
        return alphasCumprod[i];
    }

    /** abar_{t-1}, with abar_{-1} = 1. */
    public double alphaBarPrev(int i) {
        return alphasCumprodPrev[i];
    }

    public double sqrtAlphaBar(int i) {
        return Math.sqrt(alphasCumprod[i]);
    }

    public double sqrtOneMinusAlphaBar(int i) {
        return Math.sqrt(1.0 - alphasCumprod[i]);
    }

    /** log-SNR lambda_t = log(abar_t / (1 - abar_t)) (Kingma et al., "Variational Diffusion Models", 2021). */
    public double logSnr(int i) {
        return Math.log(alphasCumprod[i]) - Math.log1p(-alphasCumprod[i]);
    }

    /** Posterior variance beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t) (DDPM eq. 7). */
    public double posteriorVariance(int i) {
        return betas[i] * (1.0 - alphasCumprodPrev[i]) / (1.0 - alphasCumprod[i]);
    }

    /** log beta~_t, with beta~_0 replaced by beta~_1 as in improved-diffusion (it is 0 at t = 0). */
    public double posteriorLogVarianceClipped(int i) {
        return Math.log(i == 0 && timesteps() > 1 ? posteriorVariance(1) : posteriorVariance(i));
    }

    /** Coefficient of x0 in the posterior mean mu~_t (DDPM eq. 7): beta_t sqrt(abar_{t-1}) / (1 - abar_t). */
    public double posteriorMeanCoefX0(int i) {
        return betas[i] * Math.sqrt(alphasCumprodPrev[i]) / (1.0 - alphasCumprod[i]);
    }

    /** Coefficient of x_t in the posterior mean (DDPM eq. 7): (1 - abar_{t-1}) sqrt(alpha_t) / (1 - abar_t). */
    public double posteriorMeanCoefXt(int i) {
        return (1.0 - alphasCumprodPrev[i]) * Math.sqrt(1.0 - betas[i]) / (1.0 - alphasCumprod[i]);
    }

    /** Per-sample coefficient c(t_b) as a float tensor of shape [B, 1, 1, 1], for broadcasting over images. */
    public Tensor perSample(int[] indices, java.util.function.IntToDoubleFunction coef) {
        float[] v = new float[indices.length];
        for (int b = 0; b < v.length; b++) v[b] = (float) coef.applyAsDouble(indices[b]);
        return HostTensors.fromFloats(v, v.length, 1, 1, 1);
    }

    /**
     * Per-sample coefficient c(t_b) of shape [B, 1, ..., 1] (as many dimensions as {@code like}) in {@code like}'s
     * dtype, computed in double: for the variational-bound terms, which also run in double precision.
     */
    public Tensor perSample(int[] indices, java.util.function.IntToDoubleFunction coef, Tensor like) {
        double[] v = new double[indices.length];
        for (int b = 0; b < v.length; b++) v[b] = coef.applyAsDouble(indices[b]);
        long[] shape = new long[(int) like.dim()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = v.length;
        return HostTensors.fromDoubles(v, shape).to(like.scalar_type());
    }

    /** Forward process q(x_t | x_0): x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps (DDPM eq. 4). */
    public Tensor addNoise(Tensor x0, Tensor eps, int[] indices) {
        return x0.mul(perSample(indices, this::sqrtAlphaBar)).add(eps.mul(perSample(indices, this::sqrtOneMinusAlphaBar)));
    }

    /** Model timesteps as a float tensor of shape [B], for {@link org.atdiff.nn.Denoiser#predictNoise}. */
    public Tensor modelTimesteps(int[] indices) {
        float[] v = new float[indices.length];
        for (int b = 0; b < v.length; b++) v[b] = (float) modelTimestep(indices[b]);
        return HostTensors.fromFloats(v, v.length);
    }
}
