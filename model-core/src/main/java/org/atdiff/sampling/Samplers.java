package org.atdiff.sampling;

import java.util.List;
import org.atdiff.consistency.ConsistencySampler;
import org.atdiff.consistency.ConsistencySettings;

/** Samplers by the names used in configuration ({@code sample.sampler}). */
public final class Samplers {
    /** The names {@link #named} accepts. */
    public static final List<String> NAMES = List.of("ddpm", "ddim", "dpm-solver++", "cm");

    private Samplers() {}

    /**
     * @param name    ddpm | ddim | dpm-solver++ | cm
     * @param ddimEta DDIM's eta in [0, 1] (used by {@code ddim} only)
     * @param cm      the {@code cm.*} settings (sigma-data, sampling-times; used by {@code cm} only)
     */
    public static Sampler named(String name, double ddimEta, ConsistencySettings cm) {
        return named(name, ddimEta, cm, StatePerturbation.NONE);
    }

    /**
     * {@link #named(String, double, ConsistencySettings)} with a perturbation of the intermediate states
     * (noise-prediction samplers only).
     */
    public static Sampler named(String name, double ddimEta, ConsistencySettings cm, StatePerturbation perturbation) {
        if (name.equals("cm") && perturbation != StatePerturbation.NONE) {
            throw new IllegalArgumentException("the cm sampler takes no state perturbation (got '" + perturbation.kind()
                    + "'); perturb the noise-prediction samplers " + NAMES.subList(0, 3));
        }
        return switch (name) {
            case "ddpm" -> new DdpmSampler(perturbation);
            case "ddim" -> new DdimSampler(ddimEta, perturbation);
            case "dpm-solver++" -> new DpmSolverPlusPlus2MSampler(true, perturbation); // clips x0, as ddim and ddpm do
            case "cm" -> new ConsistencySampler(cm);
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "' (expected one of " + NAMES + ")");
        };
    }

    /** {@link #named(String, double, ConsistencySettings)} with the default {@code cm.*} settings. */
    public static Sampler named(String name, double ddimEta) {
        return named(name, ddimEta, ConsistencySettings.DEFAULTS);
    }
}
