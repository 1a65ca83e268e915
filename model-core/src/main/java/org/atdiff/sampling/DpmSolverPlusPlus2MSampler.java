package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.RespacedSchedule;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Multistep second-order DPM-Solver++ in data-prediction form (Lu et al., "DPM-Solver++: Fast Solver for Guided
 * Sampling of Diffusion Probabilistic Models", 2022, Algorithm 2), deterministic, as DPM-Solver's reference
 * implementation runs it for a discrete-time model (dpm_solver_pytorch.py: method="multistep", order=2,
 * skip_type="logSNR", lower_order_final=True, denoise_to_zero=False):
 * <ul>
 *   <li>times: nfe + 1 points t_0 = T-1 > t_1 > ... > t_nfe = 0 on the model's timestep scale (the reference's
 *       continuous times 1 down to its discrete-time end 1/T, where continuous time (i + 1) / T is timestep i), evenly
 *       spaced in log-SNR, each at the fractional timestep where the piecewise-linear log abar of the schedule has that
 *       log-SNR ({@link NoiseSchedule#timestepAtLogSnr}); the model is evaluated at the first nfe of them, at
 *       fractional timesteps, and never at t_nfe: exactly nfe evaluations;</li>
 *   <li>with alpha = sqrt(abar), sigma = sqrt(1 - abar), lambda = log(alpha / sigma) and h = lambda_next - lambda:
 *       x_next = (sigma_next / sigma) x - alpha_next (e^{-h} - 1) D, where D = x0 on the first step (first order)
 *       and D = (1 + 1/(2r)) x0 - 1/(2r) x0_prev, r = h_prev / h, afterwards (Algorithm 2, lines 3, 6, 7); with
 *       fewer than 10 steps the last step is first order too (lower_order_final);</li>
 *   <li>the result is x at t_nfe = timestep 0 (abar_0 = 1 - beta_0), the last step's x, not a further x0 estimate;
 *       it is clamped to [-1, 1].</li>
 * </ul>
 * The reference (since 2023) also drops the last timesteps of a schedule whose half log-SNR falls below -5.1 (the
 * cosine schedule's last ones) and restretches the rest; atdiff starts at T-1 for every schedule.
 *
 * <p>{@code sample.sampler = dpm-solver++} ({@link Samplers#named}) clips each x0 prediction to [-1, 1] (static
 * thresholding), as DDIM and DDPM here and improved-diffusion's samplers (clip_denoised) do; the reference leaves it off
 * by default (no correcting_x0_fn). Near t = T the x0 prediction divides the model's error by sqrt(abar_T) (about
 * 0.006 for the linear schedule), and unclipped it ruins few-step samples of an undertrained pixel-space model
 * (docs/results.md measured it). The returned image is clamped to [-1, 1] either way.
 */
public final class DpmSolverPlusPlus2MSampler extends ReverseProcessSampler {
    /** With fewer steps than this the last step is first order (the reference's lower_order_final rule). */
    static final int LOWER_ORDER_FINAL_BELOW = 10;

    /** @param clipX0 clip each x0 prediction to [-1, 1] (static thresholding) */
    public DpmSolverPlusPlus2MSampler(boolean clipX0) {
        this(clipX0, StatePerturbation.NONE);
    }

    /**
     * @param clipX0       clip each x0 prediction to [-1, 1] (static thresholding)
     * @param perturbation applied to every state after x_T, before the model sees it (robustness evaluation)
     */
    public DpmSolverPlusPlus2MSampler(boolean clipX0, StatePerturbation perturbation) {
        super(clipX0, perturbation);
    }

    /**
     * The nfe + 1 levels: index nfe - k is the k-th log-SNR grid point, lambda_k = lambda(T-1) + k/nfe (lambda(0) -
     * lambda(T-1)); the model is evaluated at indices nfe..1 and the run ends at index 0 (timestep 0).
     */
    @Override
    public SamplingPath path(NoiseSchedule schedule, int nfe) {
        int last = schedule.timesteps() - 1;
        if (last < 1) throw new IllegalArgumentException("dpm-solver++ needs a schedule of at least 2 timesteps");
        if (nfe < 1 || nfe > schedule.timesteps()) {
            throw new IllegalArgumentException("number of steps must be in [1, " + schedule.timesteps() + "]: " + nfe);
        }
        double hi = schedule.logSnr(last), lo = schedule.logSnr(0);
        double[] times = new double[nfe + 1]; // increasing: times[j] is grid point nfe - j
        times[0] = 0;
        times[nfe] = last;
        for (int j = 1; j < nfe; j++) times[j] = schedule.timestepAtLogSnr(hi + (lo - hi) * (nfe - j) / nfe);
        return new SamplingPath(new RespacedSchedule(schedule, times), 1);
    }

    @Override
    Tensor step(Step s) {
        NoiseSchedule l = s.levels();
        int i = s.i();
        double sigma = l.sqrtOneMinusAlphaBar(i), sigmaNext = l.sqrtOneMinusAlphaBar(i - 1);
        double alphaNext = l.sqrtAlphaBar(i - 1);
        double h = (l.logSnr(i - 1) - l.logSnr(i)) / 2; // lambda = log(alpha/sigma) = logSnr / 2
        Tensor d = s.prediction().x0();
        boolean firstOrder = s.first() || (s.last() && s.path().evaluations() < LOWER_ORDER_FINAL_BELOW);
        if (!firstOrder) { // second order (Algorithm 2, line 6)
            double r = (l.logSnr(i) - l.logSnr(i + 1)) / 2 / h; // h_prev / h
            d = d.mul(new Scalar(1 + 1 / (2 * r))).sub(s.previous().x0().mul(new Scalar(1 / (2 * r))));
        }
        // Algorithm 2, lines 3 and 7
        return s.x().mul(new Scalar(sigmaNext / sigma)).sub(d.mul(new Scalar(alphaNext * Math.expm1(-h))));
    }
}
