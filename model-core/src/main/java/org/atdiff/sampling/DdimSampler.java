package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * DDIM (Song, Meng and Ermon, "Denoising Diffusion Implicit Models", 2021, eq. 12) on the nfe timesteps of a
 * {@link TimestepSpacing}: x_{t-1} = sqrt(abar_{t-1}) x0 + sqrt(1 - abar_{t-1} - sigma_t^2) eps + sigma_t z, with
 * sigma_t = eta sqrt((1 - abar_{t-1}) / (1 - abar_t)) sqrt(1 - abar_t / abar_{t-1}) (eq. 16) and t-1 the previous
 * kept timestep (abar = 1 below the lowest: the last step returns x0). x0 is clipped to [-1, 1] and eps recomputed
 * from the clipped x0 (improved-diffusion's ddim_sample). eta = 0 is deterministic and draws no noise; eta = 1 has the
 * variance of DDPM's beta~. nfe evaluations of the model.
 */
public final class DdimSampler extends RespacedSampler {
    private final double eta;

    public DdimSampler(double eta, TimestepSpacing spacing) {
        this(eta, spacing, StatePerturbation.NONE);
    }

    /** @param perturbation applied to every state after x_T, before the model sees it (robustness evaluation) */
    public DdimSampler(double eta, TimestepSpacing spacing, StatePerturbation perturbation) {
        super(spacing, perturbation);
        if (!(eta >= 0 && eta <= 1)) throw new IllegalArgumentException("DDIM eta must be in [0, 1]: " + eta);
        this.eta = eta;
    }

    public double eta() {
        return eta;
    }

    @Override
    Tensor step(Step s) {
        NoiseSchedule l = s.levels();
        int i = s.i();
        Tensor x0 = s.prediction().x0();
        Tensor epsClipped = NoisePrediction.epsFromX0(l, i, s.x(), x0);
        double abar = l.alphaBar(i), abarPrev = l.alphaBarPrev(i);
        double sigma = eta * Math.sqrt((1 - abarPrev) / (1 - abar) * (1 - abar / abarPrev)); // eq. 16
        Tensor next = x0.mul(new Scalar(Math.sqrt(abarPrev)))
                .add(epsClipped.mul(new Scalar(Math.sqrt(Math.max(0, 1 - abarPrev - sigma * sigma)))));
        return sigma > 0 ? next.add(s.normal().mul(new Scalar(sigma))) : next;
    }
}
