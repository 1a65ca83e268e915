package org.atdiff.jobs.sample;

import java.io.Serializable;

/**
 * One sample set: a sampler at one NFE, with or without epsilon scaling, with or without a perturbation of its
 * intermediate states. Its folder name under {@code output.path} is {@code <sampler>-nfe<k>[-es][-<perturbation><radius>]}
 * ("+" spelled "p", so dpm-solver++ gives {@code dpm-solverpp-nfe10}; e.g. {@code ddim-nfe10-gaussian0.1}), and every
 * image's {@code source} is {@code sample:<sampler>:nfe<k>:es<0|1>[:<perturbation><radius>]:<index>}.
 *
 * @param perturbation none | gaussian | gradient
 * @param radius       the perturbation's norm relative to sqrt(C*H*W) (0 with none)
 */
public record SampleSet(String sampler, int nfe, boolean es, String perturbation, double radius) implements Serializable {
    /** An unperturbed set. */
    public SampleSet(String sampler, int nfe, boolean es) {
        this(sampler, nfe, es, "none", 0);
    }

    public String folderName() {
        return sampler.replace('+', 'p') + "-nfe" + nfe + (es ? "-es" : "") + perturbationTag("-");
    }

    public String source(long index) {
        return "sample:" + sampler + ":nfe" + nfe + ":es" + (es ? 1 : 0) + perturbationTag(":") + ":" + index;
    }

    private String perturbationTag(String separator) {
        return perturbation.equals("none") ? "" : separator + perturbation + radius;
    }
}
