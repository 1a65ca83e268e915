package org.atdiff.objective;

import java.util.List;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.settings.SettingChecks;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The denoising error of an eps-prediction network at perturbed inputs, the inner quantity of the distributionally
 * robust objective free AT minimises (Wang et al., ICLR 2025): for x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps
 * (DDPM eq. 4) and delta with ||delta||_2 = r per sample,
 * e(delta) = mean over pixels of (eps_theta(x_t + delta, t) - (eps + delta / sqrt(1 - abar_t)))^2,
 * the error against the noise of the perturbed point itself (AT's {@code delta_detach} target): the error of the x0 the
 * network reads from x_t + delta. At r = 0 it is the plain held-out eps-MSE.
 *
 * <p>delta is r d / ||d|| per sample, its direction d one of {@link Attack}: a random u ~ N(0, I); the gradient
 * d e / d delta at delta = 0 (one l2 ascent step on e itself, whose target moves with delta); or free AT's own ascent
 * direction, the gradient at delta = 0 with the target held, J^T (eps_theta(x_t, t) - eps) for the network's input
 * Jacobian J ({@link FreeAdversarialObjective}'s sg(delta)). At small t the target's delta / sqrt(1 - abar_t) dominates
 * e, so the two gradients differ: for the exact denoiser of Gaussian data free AT's direction lowers e.
 */
public final class PerturbedDenoisingError {
    private static final double TINY = 1e-12;

    /** How delta's direction is chosen: random | gradient (of e) | network-gradient (free AT's, target held). */
    public enum Attack {
        RANDOM, GRADIENT, NETWORK_GRADIENT;

        /** The configuration name: random | gradient | network-gradient. */
        public String configName() {
            return SettingChecks.configName(this);
        }

        /** The attack a configuration value names; an error lists the choices. */
        public static Attack named(String key, String value) {
            return SettingChecks.choice(key, value, values(), Attack::configName);
        }
    }

    private PerturbedDenoisingError() {}

    /**
     * Per-sample errors e(delta) of one batch, {@code [attack][radius][sample]}, every attack and radius on the same
     * x0, t, eps and (for {@link Attack#RANDOM}) direction: row b of {@code noise} draws eps first, then u.
     *
     * @param indices timestep indices of the rows, on {@code schedule}'s grid
     * @param radii   l2 norms of delta per sample (absolute, on data scaled to [-1, 1])
     */
    public static double[][][] perSample(Denoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, int[] indices,
                                         BatchNoise noise, List<Attack> attacks, double[] radii) {
        if (indices.length != x0.size(0)) {
            throw new IllegalArgumentException(indices.length + " timesteps for a batch of " + x0.size(0));
        }
        for (double r : radii) {
            if (!(r >= 0) || !Double.isFinite(r)) throw new IllegalArgumentException("a radius must be finite and >= 0: " + r);
        }
        long[] rowShape = {x0.size(1), x0.size(2), x0.size(3)};
        Tensor eps = noise.normal(rowShape);
        Tensor u = noise.normal(rowShape);
        Tensor xt = schedule.addNoise(x0, eps, indices);
        Tensor t = schedule.modelTimesteps(indices);
        Tensor sigma = schedule.perSample(indices, schedule::sqrtOneMinusAlphaBar);
        double[][][] out = new double[attacks.size()][radii.length][];
        double[] clean = null;
        for (int a = 0; a < attacks.size(); a++) {
            Tensor direction = null;
            for (int r = 0; r < radii.length; r++) {
                if (radii[r] == 0) {
                    if (clean == null) clean = error(model, xt, t, labels, eps, sigma, null);
                    out[a][r] = clean;
                    continue;
                }
                if (direction == null) {
                    direction = unit(switch (attacks.get(a)) {
                        case RANDOM -> u;
                        case GRADIENT -> inputGradient(model, xt, t, labels, eps, sigma, false);
                        case NETWORK_GRADIENT -> inputGradient(model, xt, t, labels, eps, sigma, true);
                    });
                }
                out[a][r] = error(model, xt, t, labels, eps, sigma, direction.mul(new Scalar(radii[r])));
            }
        }
        return out;
    }

    /** e(delta) per sample, without gradients; delta null means 0. */
    private static double[] error(Denoiser model, Tensor xt, Tensor t, Tensor labels, Tensor eps, Tensor sigma,
                                  Tensor delta) {
        try (NoGradScope ng = new NoGradScope()) {
            Tensor input = delta == null ? xt : xt.add(delta);
            Tensor target = delta == null ? eps : eps.add(delta.div(sigma));
            Tensor perSample = squaredError(model.predictNoise(input, t, labels), target);
            return HostTensors.toDoubles(perSample.to(ScalarType.Double));
        }
    }

    /**
     * g = d/d delta of sum_b e_b(delta) at delta = 0 (each row's gradient is its own sample's); with {@code holdTarget}
     * the target eps + sg(delta) / sqrt(1 - abar_t) is held, as free AT holds it.
     */
    private static Tensor inputGradient(Denoiser model, Tensor xt, Tensor t, Tensor labels, Tensor eps, Tensor sigma,
                                        boolean holdTarget) {
        boolean previous = GradMode.is_enabled();
        GradMode.set_enabled(true);
        try {
            Tensor delta = xt.detach().mul(new Scalar(0.0)).set_requires_grad(true);
            Tensor shift = (holdTarget ? delta.detach() : delta).div(sigma);
            Tensor loss = squaredError(model.predictNoise(xt.detach().add(delta), t, labels), eps.add(shift)).sum();
            loss.backward();
            return delta.grad().detach();
        } finally {
            GradMode.set_enabled(previous);
        }
    }

    /** Mean over all but the first dimension of (a - b)^2: a [B] tensor. */
    private static Tensor squaredError(Tensor a, Tensor b) {
        return a.sub(b).square().reshape(a.size(0), -1).mean(new long[] {1}, false, new ScalarTypeOptional());
    }

    /** x / ||x||_2 per sample. */
    private static Tensor unit(Tensor x) {
        try (NoGradScope ng = new NoGradScope()) {
            return x.div(FreeAdversarialObjective.perSampleNorm(x).clamp_min(new Scalar(TINY)));
        }
    }
}
