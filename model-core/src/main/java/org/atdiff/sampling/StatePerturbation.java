package org.atdiff.sampling;

import java.util.List;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.objective.FreeAdversarialObjective;
import org.atdiff.random.BatchNoise;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * A perturbation of the sampler's state x_t before every model evaluation after the first (the first state x_T is
 * noise already): the robustness evaluation of Wang et al. (ICLR 2025), which asks how a denoiser copes with errors in
 * its input x_t. The sampler continues from the perturbed state. Every perturbation has per-sample l2 norm
 * {@code radius * sqrt(C*H*W)}, the same scale as {@code at.alpha}.
 */
public interface StatePerturbation {
    /** The kinds {@link #named} accepts ({@code sample.perturbation}). */
    List<String> KINDS = List.of("none", "gaussian", "gradient");

    /** No perturbation: samplers return the state unchanged. */
    StatePerturbation NONE = new StatePerturbation() {
        @Override
        public Tensor apply(Denoiser model, NoiseSchedule schedule, int i, Tensor x, Tensor labels, BatchNoise noise) {
            return x;
        }

        @Override
        public String kind() {
            return "none";
        }

        @Override
        public double radius() {
            return 0;
        }
    };

    /**
     * The perturbed state.
     *
     * @param schedule the sampler's (respaced) schedule; {@code i} indexes it
     * @param noise    the per-row streams every random draw comes from
     */
    Tensor apply(Denoiser model, NoiseSchedule schedule, int i, Tensor x, Tensor labels, BatchNoise noise);

    /** none | gaussian | gradient */
    String kind();

    /** The l2 norm of the perturbation relative to sqrt(C*H*W). */
    double radius();

    /** A perturbation by its configuration name; {@code none} ignores the radius. */
    static StatePerturbation named(String kind, double radius) {
        return switch (kind) {
            case "none" -> NONE;
            case "gaussian" -> new GaussianStatePerturbation(radius);
            case "gradient" -> new GradientStatePerturbation(radius);
            default -> throw new IllegalArgumentException(
                    "unknown state perturbation '" + kind + "' (expected one of " + KINDS + ")");
        };
    }

    /** Rows of {@code v} scaled to l2 norm {@code radius * sqrt(C*H*W)} each. */
    static Tensor toRadius(Tensor v, double radius) {
        double norm = radius * Math.sqrt((double) v.numel() / v.size(0));
        return v.div(FreeAdversarialObjective.perSampleNorm(v).clamp_min(new Scalar(1e-12))).mul(new Scalar(norm));
    }

    /** Checks a radius for the constructors. */
    static void checkRadius(double radius) {
        if (!(radius > 0) || Double.isInfinite(radius)) {
            throw new IllegalArgumentException("state perturbation radius must be positive and finite: " + radius);
        }
    }
}
