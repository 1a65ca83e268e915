package org.atdiff.jobs.sample;

import java.io.Serializable;

/**
 * One sample set: a sampler at one NFE, with or without epsilon scaling. Its folder name under {@code output.path}
 * is {@code <sampler>-nfe<k>[-es]} ("+" spelled "p", so dpm-solver++ gives {@code dpm-solverpp-nfe10}), and every
 * image's {@code source} is {@code sample:<sampler>:nfe<k>:es<0|1>:<index>}.
 */
public record SampleSet(String sampler, int nfe, boolean es) implements Serializable {
    public String folderName() {
        return sampler.replace('+', 'p') + "-nfe" + nfe + (es ? "-es" : "");
    }

    public String source(long index) {
        return "sample:" + sampler + ":nfe" + nfe + ":es" + (es ? 1 : 0) + ":" + index;
    }
}
