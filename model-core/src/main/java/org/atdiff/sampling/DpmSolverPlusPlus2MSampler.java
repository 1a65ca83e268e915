package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.RespacedSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.nn.Denoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Multistep second-order DPM-Solver++ in data-prediction form (Lu et al., "DPM-Solver++: Fast Solver for Guided
 * Sampling of Diffusion Probabilistic Models", 2022, Algorithm 2), deterministic, on {@code nfe} timesteps evenly
 * spaced in log-SNR ({@link TimestepSpacing#LOG_SNR}). With alpha = sqrt(abar), sigma = sqrt(1 - abar),
 * lambda = log(alpha / sigma) and h = lambda_next - lambda:
 * x_next = (sigma_next / sigma) x - alpha_next (e^{-h} - 1) D, where D = x0 on the first step (first order) and
 * D = (1 + 1/(2r)) x0 - 1/(2r) x0_prev, r = h_prev / h, afterwards. The last step goes from t = 0 to the data
 * (sigma = 0, h = infinity), where only the first-order step is defined: it returns x0 (diffusers'
 * final_sigmas_type="zero", which forces lower_order_final for every NFE).
 *
 * <p>{@code sample.sampler = dpm-solver++} ({@link Samplers#named}) clips each x0 prediction to [-1, 1] (static
 * thresholding), as DDIM and DDPM here and improved-diffusion's samplers (clip_denoised) do; diffusers leaves it off
 * (thresholding=False). Near t = T the x0 prediction divides the model's error by sqrt(abar_T) (about 0.006 for the
 * linear schedule), and unclipped it ruins few-step samples of an undertrained pixel-space model: fd_classifier 216
 * unclipped against 51 clipped at NFE 5 in docs/results.md's plain fine-tune. The returned image is clamped to
 * [-1, 1] either way.
 */
public final class DpmSolverPlusPlus2MSampler implements Sampler {
    private final boolean clipX0;
    private final StatePerturbation perturbation;

    /** @param clipX0 clip each x0 prediction to [-1, 1] (static thresholding) */
    public DpmSolverPlusPlus2MSampler(boolean clipX0) {
        this(clipX0, StatePerturbation.NONE);
    }

    /**
     * @param clipX0       clip each x0 prediction to [-1, 1] (static thresholding)
     * @param perturbation applied to every state after x_T, before the model sees it (robustness evaluation)
     */
    public DpmSolverPlusPlus2MSampler(boolean clipX0, StatePerturbation perturbation) {
        this.clipX0 = clipX0;
        this.perturbation = perturbation;
    }

    /** Whether each x0 prediction is clipped to [-1, 1]. */
    public boolean clipsX0() {
        return clipX0;
    }

    @Override
    public Tensor sample(Denoiser model, NoiseSchedule schedule, int nfe, Tensor xT, Tensor labels, BatchNoise noise) {
        SamplingInputs.rowShape(xT, noise);
        RespacedSchedule s = TimestepSpacing.LOG_SNR.respace(schedule, nfe);
        int n = s.timesteps();
        double hPrev = Double.NaN;
        try (CarriedTensor x = new CarriedTensor(xT); CarriedTensor x0Prev = new CarriedTensor(null)) {
            for (int i = n - 1; i >= 0; i--) {
                try (PointerScope scope = new PointerScope()) {
                    if (i < n - 1) x.replace(perturbation.apply(model, s, i, x.get(), labels, noise));
                    Tensor eps = NoisePrediction.eps(model, s, i, x.get(), labels);
                    Tensor x0 = NoisePrediction.x0(s, i, x.get(), eps);
                    if (clipX0) x0 = NoisePrediction.clampToData(x0);
                    if (i == 0) {
                        x.replace(x0); // first-order step to sigma = 0
                        continue;
                    }
                    double sigma = s.sqrtOneMinusAlphaBar(i), sigmaNext = s.sqrtOneMinusAlphaBar(i - 1);
                    double alphaNext = s.sqrtAlphaBar(i - 1);
                    double h = (s.logSnr(i - 1) - s.logSnr(i)) / 2; // lambda = log(alpha/sigma) = logSnr / 2
                    Tensor d = x0;
                    if (i < n - 1) { // second order (Algorithm 2, line 6)
                        double r = hPrev / h;
                        d = x0.mul(new Scalar(1 + 1 / (2 * r))).sub(x0Prev.get().mul(new Scalar(1 / (2 * r))));
                    }
                    // Algorithm 2, lines 3 and 7
                    x.replace(x.get().mul(new Scalar(sigmaNext / sigma)).sub(d.mul(new Scalar(alphaNext * Math.expm1(-h)))));
                    x0Prev.replace(x0);
                    hPrev = h;
                }
            }
            return NoisePrediction.clampToData(x.get());
        }
    }
}
