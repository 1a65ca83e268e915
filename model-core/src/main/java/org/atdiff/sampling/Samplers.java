package org.atdiff.sampling;

import java.util.List;

/** Samplers by the names used in configuration ({@code sample.sampler}). */
public final class Samplers {
    /** The names {@link #named} accepts. */
    public static final List<String> NAMES = List.of("ddpm", "ddim", "dpm-solver++");

    private Samplers() {}

    /**
     * @param name    ddpm | ddim | dpm-solver++
     * @param ddimEta DDIM's eta in [0, 1] (used by {@code ddim} only)
     */
    public static Sampler named(String name, double ddimEta) {
        return switch (name) {
            case "ddpm" -> new DdpmSampler();
            case "ddim" -> new DdimSampler(ddimEta);
            case "dpm-solver++" -> new DpmSolverPlusPlus2MSampler(false);
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "' (expected one of " + NAMES + ")");
        };
    }
}
