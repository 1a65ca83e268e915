package org.atdiff.jobs.sample;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.given;
import static org.atdiff.settings.SettingChecks.inRange;
import static org.atdiff.settings.SettingChecks.nonEmpty;
import static org.atdiff.settings.SettingChecks.oneOf;
import static org.atdiff.settings.SettingChecks.positive;
import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.sampling.Samplers;
import org.atdiff.sampling.StatePerturbation;
import org.atdiff.train.Precision;

/**
 * The {@code sample.*} keys (plus {@code run.dir}, {@code engine.threads}, {@code output.*}) as typed, checked
 * settings. {@code sample.sampler} and {@code sample.nfe} (formerly {@code sample.steps}, an alias for one release)
 * take one value or a list; the job writes one sample set per (sampler, NFE) pair.
 *
 * @param steps           {@code sample.nfe}: the numbers of network evaluations per image
 *
 * @param checkpoint      a checkpoint file, or "" for the latest checkpoint of {@code runDir}
 * @param threads         libtorch threads per task (0 = the cores Spark gives a task)
 * @param partitions      Spark tasks per sample set (0 = Spark's default parallelism)
 * @param cmSamplingTimes {@code cm.sampling-times}: the re-noising timesteps of {@code sample.sampler = cm}
 *                        (empty = trailing); the consistency function's sigma_data comes from the checkpoint
 * @param precision       {@code sample.precision}: fp32, or bf16 (the network under CPU autocast, the sampler in fp32)
 * @param perturbation    {@code sample.perturbation}: none | gaussian | gradient, applied to every intermediate x_t
 * @param perturbationRadius {@code sample.perturbation-radius}: its l2 norm relative to sqrt(C*H*W)
 * @param spacing         {@code sample.spacing}: the timesteps of ddpm and ddim (trailing | leading | linspace)
 */
public record SampleSettings(String checkpoint, String runDir, boolean ema, int count, List<String> samplers,
        List<Integer> steps, boolean es, double esFactor, double eta, long seed, int batchSize, int partitions,
        int threads, String outputPath, boolean overwrite, List<Integer> cmSamplingTimes, Precision precision,
        String perturbation, double perturbationRadius, TimestepSpacing spacing) implements Serializable {

    public SampleSettings {
        samplers = List.copyOf(new LinkedHashSet<>(samplers));
        steps = List.copyOf(new LinkedHashSet<>(steps));
        cmSamplingTimes = List.copyOf(cmSamplingTimes);
        if (checkpoint.isBlank() && runDir.isBlank()) {
            throw new IllegalArgumentException("sample.checkpoint and run.dir are both empty: name a checkpoint or a run");
        }
        atLeast("sample.count", count, 1);
        if (samplers.isEmpty()) throw new IllegalArgumentException("sample.sampler names no sampler");
        inRange("sample.eta", eta, 0, 1, false);
        given("sample.spacing", spacing);
        for (String name : samplers) oneOf("sample.sampler", name, Samplers.NAMES);
        if (es && samplers.contains("cm")) {
            throw new IllegalArgumentException("sample.es does not apply to sample.sampler = cm (a consistency model "
                    + "predicts x0, not noise to scale); sample cm with sample.es=false");
        }
        if (steps.isEmpty()) throw new IllegalArgumentException("sample.nfe names no NFE");
        for (int nfe : steps) atLeast("sample.nfe", nfe, 1);
        positive("sample.es-factor", esFactor);
        atLeast("sample.batch-size", batchSize, 1);
        atLeast("sample.partitions", partitions, 0);
        atLeast("engine.threads", threads, 0);
        nonEmpty("output.path", outputPath);
        given("sample.precision", precision);
        try {
            StatePerturbation.named(perturbation, perturbationRadius);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sample.perturbation / sample.perturbation-radius: " + e.getMessage(), e);
        }
        if (!perturbation.equals("none") && samplers.contains("cm")) {
            throw new IllegalArgumentException("sample.perturbation applies to the noise-prediction samplers, not to "
                    + "sample.sampler = cm; sample cm with sample.perturbation=none");
        }
    }

    /** Settings in fp32 without perturbation, ddpm and ddim on trailing timesteps. */
    public SampleSettings(String checkpoint, String runDir, boolean ema, int count, List<String> samplers,
                          List<Integer> steps, boolean es, double esFactor, double eta, long seed, int batchSize,
                          int partitions, int threads, String outputPath, boolean overwrite,
                          List<Integer> cmSamplingTimes) {
        this(checkpoint, runDir, ema, count, samplers, steps, es, esFactor, eta, seed, batchSize, partitions, threads,
                outputPath, overwrite, cmSamplingTimes, Precision.FP32, "none", 0.1, TimestepSpacing.TRAILING);
    }

    /** Settings with the default {@code cm.sampling-times} (none: trailing re-noising times). */
    public SampleSettings(String checkpoint, String runDir, boolean ema, int count, List<String> samplers,
                          List<Integer> steps, boolean es, double esFactor, double eta, long seed, int batchSize,
                          int partitions, int threads, String outputPath, boolean overwrite) {
        this(checkpoint, runDir, ema, count, samplers, steps, es, esFactor, eta, seed, batchSize, partitions, threads,
                outputPath, overwrite, List.of());
    }

    public static SampleSettings fromConfig(Config c) {
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static SampleSettings read(SettingsReader r) {
        return new SampleSettings(r.string("sample.checkpoint"), r.string("run.dir"), r.bool("sample.ema"),
                r.integer("sample.count"), r.strings("sample.sampler"), nfe(r), r.bool("sample.es"),
                r.number("sample.es-factor"), r.number("sample.eta"), r.longValue("sample.seed"),
                r.integer("sample.batch-size"), r.integer("sample.partitions"), r.integer("engine.threads"),
                r.string("output.path"), r.bool("output.overwrite"), r.ints("cm.sampling-times"),
                r.named("sample.precision", Precision::named), r.string("sample.perturbation"),
                r.number("sample.perturbation-radius"), r.named("sample.spacing", TimestepSpacing::named));
    }

    /**
     * {@code sample.nfe}, or its alias {@code sample.steps} (one release) when that is set later (a path=value over a
     * --conf file or profile, a file over a profile); both set in the same place to different values is an error.
     */
    private static List<Integer> nfe(SettingsReader r) {
        List<Integer> nfe = integers(r, "sample.nfe"), alias = integers(r, "sample.steps");
        int nfeLayer = r.layer("sample.nfe"), aliasLayer = r.layer("sample.steps");
        if (alias.isEmpty() || nfeLayer > aliasLayer) return nfe;
        if (nfeLayer == aliasLayer && !nfe.equals(alias)) {
            throw new IllegalArgumentException("sample.nfe = " + nfe + " and its former name sample.steps = " + alias
                    + " are both set and differ; set sample.nfe only");
        }
        return alias;
    }

    private static List<Integer> integers(SettingsReader r, String key) {
        List<Integer> values = new ArrayList<>();
        for (String s : r.strings(key)) {
            try {
                values.add((int) atLeast(key, Integer.parseInt(s.trim()), 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be integers but has '" + s + "'");
            }
        }
        return values;
    }

    /** The state perturbation of every sample set. */
    public StatePerturbation statePerturbation() {
        return StatePerturbation.named(perturbation, perturbationRadius);
    }

    /** {@code cm.sampling-times} as an array. */
    public int[] samplingTimes() {
        return cmSamplingTimes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The sample sets to write: every sampler with every NFE, in configuration order. */
    public List<SampleSet> sets() {
        List<SampleSet> sets = new ArrayList<>();
        for (String sampler : samplers) {
            String timesteps = Samplers.spacingOf(sampler, spacing, samplingTimes());
            for (int nfe : steps) sets.add(new SampleSet(sampler, nfe, es, perturbation,
                    perturbation.equals("none") ? 0 : perturbationRadius, timesteps));
        }
        return sets;
    }
}
