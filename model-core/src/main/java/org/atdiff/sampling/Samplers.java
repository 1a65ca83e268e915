package org.atdiff.sampling;

import java.util.List;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.diffusion.TimestepSpacing;

/** Samplers by the names used in configuration ({@code sample.sampler}). */
public final class Samplers {
    /** The names {@link #named} accepts. */
    public static final List<String> NAMES = List.of("ddpm", "ddim", "dpm-solver++", "cm");

    /** The samplers of a noise predictor, which {@link #named(String, double, TimestepSpacing)} builds. */
    public static final List<String> NOISE_PREDICTION = List.of("ddpm", "ddim", "dpm-solver++");

    /** The samplers whose timesteps {@code sample.spacing} chooses. */
    public static final List<String> SPACED = List.of("ddpm", "ddim");

    private Samplers() {}

    /**
     * @param name    ddpm | ddim | dpm-solver++ | cm
     * @param ddimEta DDIM's eta in [0, 1] (used by {@code ddim} only)
     * @param spacing the timesteps of {@code ddpm} and {@code ddim} ({@code sample.spacing}; the others ignore it)
     * @param cm      the {@code cm.*} settings (sigma-data, sampling-times; used by {@code cm} only)
     */
    public static Sampler named(String name, double ddimEta, TimestepSpacing spacing, ConsistencySettings cm) {
        return named(name, ddimEta, spacing, cm, StatePerturbation.NONE);
    }

    /**
     * {@link #named(String, double, TimestepSpacing, ConsistencySettings)} with a perturbation of the intermediate
     * states (noise-prediction samplers only).
     */
    public static Sampler named(String name, double ddimEta, TimestepSpacing spacing, ConsistencySettings cm,
                                StatePerturbation perturbation) {
        if (name.equals("cm") && perturbation != StatePerturbation.NONE) {
            throw new IllegalArgumentException("the cm sampler takes no state perturbation (got '" + perturbation.kind()
                    + "'); perturb the noise-prediction samplers " + NAMES.subList(0, 3));
        }
        return switch (name) {
            case "ddpm" -> new DdpmSampler(spacing, perturbation);
            case "ddim" -> new DdimSampler(ddimEta, spacing, perturbation);
            case "dpm-solver++" -> new DpmSolverPlusPlus2MSampler(true, perturbation); // clips x0, as ddim and ddpm do
            case "cm" -> new ConsistencySampler(java.util.Objects.requireNonNull(cm, "the cm sampler needs the cm.* settings"));
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "' (expected one of " + NAMES + ")");
        };
    }

    /** A noise-prediction sampler ({@link #NOISE_PREDICTION}); the cm sampler needs its settings (the 4-argument form). */
    public static Sampler named(String name, double ddimEta, TimestepSpacing spacing) {
        if (name.equals("cm")) {
            throw new IllegalArgumentException("the cm sampler needs the cm.* settings; noise-prediction samplers are "
                    + NOISE_PREDICTION);
        }
        return named(name, ddimEta, spacing, null);
    }

    /**
     * Which timesteps sampler {@code name} visits, as a sample set records it: the {@code spacing} key for ddpm and
     * ddim, {@code logsnr} for dpm-solver++ (its own grid), for cm {@code trailing} or, with re-noising times given,
     * {@code cm.sampling-times}.
     */
    public static String spacingOf(String name, TimestepSpacing spacing, int[] cmSamplingTimes) {
        if (SPACED.contains(name)) return spacing.key();
        if (name.equals("dpm-solver++")) return "logsnr";
        if (name.equals("cm")) return cmSamplingTimes.length == 0 ? TimestepSpacing.TRAILING.key() : "cm.sampling-times";
        throw new IllegalArgumentException("unknown sampler '" + name + "' (expected one of " + NAMES + ")");
    }
}
