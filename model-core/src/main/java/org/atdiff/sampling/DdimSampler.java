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
 * DDIM (Song, Meng and Ermon, "Denoising Diffusion Implicit Models", 2021, eq. 12) on {@code nfe} trailing
 * timesteps: x_{t-1} = sqrt(abar_{t-1}) x0 + sqrt(1 - abar_{t-1} - sigma_t^2) eps + sigma_t z, with
 * sigma_t = eta sqrt((1 - abar_{t-1}) / (1 - abar_t)) sqrt(1 - abar_t / abar_{t-1}) (eq. 16). x0 is clipped to
 * [-1, 1] and eps recomputed from the clipped x0 (improved-diffusion's ddim_sample). eta = 0 is deterministic and
 * draws no noise; eta = 1 has the variance of DDPM's beta~.
 */
public final class DdimSampler implements Sampler {
    private final double eta;
    private final StatePerturbation perturbation;

    public DdimSampler(double eta) {
        this(eta, StatePerturbation.NONE);
    }

    /** @param perturbation applied to every state after x_T, before the model sees it (robustness evaluation) */
    public DdimSampler(double eta, StatePerturbation perturbation) {
        if (!(eta >= 0 && eta <= 1)) throw new IllegalArgumentException("DDIM eta must be in [0, 1]: " + eta);
        this.eta = eta;
        this.perturbation = perturbation;
    }

    public double eta() {
        return eta;
    }

    @Override
    public Tensor sample(Denoiser model, NoiseSchedule schedule, int nfe, Tensor xT, Tensor labels, BatchNoise noise) {
        long[] rowShape = SamplingInputs.rowShape(xT, noise);
        RespacedSchedule s = TimestepSpacing.TRAILING.respace(schedule, nfe);
        try (CarriedTensor x = new CarriedTensor(xT)) {
            for (int i = s.timesteps() - 1; i >= 0; i--) {
                try (PointerScope scope = new PointerScope()) {
                    if (i < s.timesteps() - 1) x.replace(perturbation.apply(model, s, i, x.get(), labels, noise));
                    Tensor eps = NoisePrediction.eps(model, s, i, x.get(), labels);
                    Tensor x0 = NoisePrediction.clampToData(NoisePrediction.x0(s, i, x.get(), eps));
                    if (i == 0) {
                        x.replace(x0); // abar_{-1} = 1: sigma = 0 and x_{-1} = x0
                        continue;
                    }
                    Tensor epsClipped = NoisePrediction.epsFromX0(s, i, x.get(), x0);
                    double abar = s.alphaBar(i), abarPrev = s.alphaBarPrev(i);
                    double sigma = eta * Math.sqrt((1 - abarPrev) / (1 - abar) * (1 - abar / abarPrev)); // eq. 16
                    Tensor next = x0.mul(new Scalar(Math.sqrt(abarPrev)))
                            .add(epsClipped.mul(new Scalar(Math.sqrt(Math.max(0, 1 - abarPrev - sigma * sigma)))));
                    if (sigma > 0) next = next.add(noise.normal(rowShape).mul(new Scalar(sigma)));
                    x.replace(next);
                }
            }
            return NoisePrediction.clampToData(x.get());
        }
    }
}
