package org.atdiff.jobs.sample;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.sampling.Samplers;

/**
 * One sample set: a sampler at one NFE on its timesteps, with or without epsilon scaling, with or without a
 * perturbation of its intermediate states. Its folder name under {@code output.path} is
 * {@code <sampler>-nfe<k>[-<spacing>][-es][-<perturbation><radius>]} ("+" spelled "p", so dpm-solver++ gives
 * {@code dpm-solverpp-nfe10}; e.g. {@code ddim-nfe10-leading}, {@code ddim-nfe10-gaussian0.1}), and every image's
 * {@code source} is {@code sample:<sampler>:nfe<k>[:<spacing>]:es<0|1>[:<perturbation><radius>]:<index>}. The spacing
 * is named only for ddpm and ddim on leading or linspace timesteps: trailing sets keep the names every earlier result
 * has.
 *
 * @param perturbation none | gaussian | gradient
 * @param radius       the perturbation's norm relative to sqrt(C*H*W) (0 with none)
 * @param spacing      the sampler's timesteps ({@link org.atdiff.sampling.Samplers#spacingOf}): trailing | leading |
 *                     linspace for ddpm and ddim, logsnr for dpm-solver++, trailing or cm.sampling-times for cm
 */
public record SampleSet(String sampler, int nfe, boolean es, String perturbation, double radius, String spacing)
        implements Serializable {
    public String folderName() {
        return sampler.replace('+', 'p') + "-nfe" + nfe + spacingTag("-") + (es ? "-es" : "") + perturbationTag("-");
    }

    public String source(long index) {
        return "sample:" + sampler + ":nfe" + nfe + spacingTag(":") + ":es" + (es ? 1 : 0) + perturbationTag(":") + ":"
                + index;
    }

    /**
     * True when a set of {@code sampler} on {@code spacing} carries the spacing in its name: ddpm and ddim on other
     * than trailing timesteps ({@code spacing} null: a set written before sample.spacing, trailing).
     */
    public static boolean namesSpacing(String sampler, String spacing) {
        return Samplers.SPACED.contains(sampler) && spacing != null && !spacing.equals(TimestepSpacing.TRAILING.key());
    }

    private String spacingTag(String separator) {
        return namesSpacing(sampler, spacing) ? separator + spacing : "";
    }

    private String perturbationTag(String separator) {
        return perturbation.equals("none") ? "" : separator + perturbation + radius;
    }

    /** {@code path} itself if it is a sample set folder (has set.json), else its sub-folders that are, by name. */
    public static List<Path> foldersUnder(Path path, FileSystem fs) throws IOException {
        if (fs.exists(new Path(path, SampleGeneration.SET_FILE))) return List.of(path);
        List<Path> sets = new ArrayList<>();
        if (!fs.isDirectory(path)) return sets;
        FileStatus[] children = fs.listStatus(path);
        Arrays.sort(children, Comparator.comparing(st -> st.getPath().getName()));
        for (FileStatus c : children) {
            if (c.isDirectory() && fs.exists(new Path(c.getPath(), SampleGeneration.SET_FILE))) sets.add(c.getPath());
        }
        return sets;
    }
}
