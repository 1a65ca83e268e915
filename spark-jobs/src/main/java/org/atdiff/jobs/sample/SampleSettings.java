package org.atdiff.jobs.sample;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.sampling.Samplers;
import org.atdiff.sampling.StatePerturbation;
import org.atdiff.train.Precision;

/**
 * The {@code sample.*} keys (plus {@code run.dir}, {@code engine.threads}, {@code output.*}) as typed, checked
 * settings. {@code sample.sampler} and {@code sample.steps} take one value or a list; the job writes one sample set
 * per (sampler, NFE) pair.
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
        if (count < 1) throw new IllegalArgumentException("sample.count must be >= 1 but is " + count);
        if (samplers.isEmpty()) throw new IllegalArgumentException("sample.sampler names no sampler");
        if (!(eta >= 0 && eta <= 1)) throw new IllegalArgumentException("sample.eta must be in [0, 1] but is " + eta);
        if (spacing == null) throw new IllegalArgumentException("sample.spacing is null");
        for (String name : samplers) {
            try {
                Samplers.named(name, eta, spacing);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("sample.sampler: " + e.getMessage(), e);
            }
        }
        if (es && samplers.contains("cm")) {
            throw new IllegalArgumentException("sample.es does not apply to sample.sampler = cm (a consistency model "
                    + "predicts x0, not noise to scale); sample cm with sample.es=false");
        }
        if (steps.isEmpty()) throw new IllegalArgumentException("sample.steps names no NFE");
        for (int nfe : steps) {
            if (nfe < 1) throw new IllegalArgumentException("sample.steps must be >= 1 but has " + nfe);
        }
        if (!(esFactor > 0) || Double.isInfinite(esFactor)) {
            throw new IllegalArgumentException("sample.es-factor must be positive but is " + esFactor);
        }
        if (batchSize < 1) throw new IllegalArgumentException("sample.batch-size must be >= 1 but is " + batchSize);
        if (partitions < 0) throw new IllegalArgumentException("sample.partitions must be >= 0 but is " + partitions);
        if (threads < 0) throw new IllegalArgumentException("engine.threads must be >= 0 but is " + threads);
        if (outputPath.isBlank()) throw new IllegalArgumentException("output.path is empty");
        if (precision == null) throw new IllegalArgumentException("sample.precision is null");
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
        List<Integer> steps = new ArrayList<>();
        for (String s : values(c, "sample.steps")) {
            try {
                steps.add(Integer.parseInt(s.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("sample.steps must be integers but has '" + s + "'");
            }
        }
        return new SampleSettings(c.getString("sample.checkpoint"), c.getString("run.dir"), c.getBoolean("sample.ema"),
                c.getInt("sample.count"), values(c, "sample.sampler"), steps, c.getBoolean("sample.es"),
                c.getDouble("sample.es-factor"), c.getDouble("sample.eta"), c.getLong("sample.seed"),
                c.getInt("sample.batch-size"), c.getInt("sample.partitions"), c.getInt("engine.threads"),
                c.getString("output.path"), c.getBoolean("output.overwrite"), c.getIntList("cm.sampling-times"),
                precision(c.getString("sample.precision")), c.getString("sample.perturbation"),
                c.getDouble("sample.perturbation-radius"), spacing(c.getString("sample.spacing")));
    }

    private static TimestepSpacing spacing(String name) {
        try {
            return TimestepSpacing.named(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sample.spacing: " + e.getMessage(), e);
        }
    }

    private static Precision precision(String name) {
        try {
            return Precision.named(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sample.precision: " + e.getMessage(), e);
        }
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

    /** A list key's values as strings; a single value (e.g. {@code sampler = "ddim"} in a --conf file) is a list of one. */
    static List<String> values(Config c, String path) {
        if (c.getValue(path).valueType() == ConfigValueType.LIST) {
            List<String> out = new ArrayList<>();
            c.getList(path).forEach(v -> out.add(String.valueOf(v.unwrapped())));
            return out;
        }
        return List.of(c.getString(path));
    }
}
