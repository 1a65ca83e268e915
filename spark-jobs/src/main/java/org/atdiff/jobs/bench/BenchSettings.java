package org.atdiff.jobs.bench;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Set;
import org.atdiff.nn.UNetConfig;
import org.atdiff.sampling.Samplers;
import org.atdiff.train.Precision;

/** The {@code bench.*} configuration keys, validated (each error names its key). */
public record BenchSettings(List<String> presets, int steps, int warmup, int batchSize, int rounds, Set<String> sections,
        List<String> objectives, List<Precision> precisions, String python, int threads, int imageSize,
        List<Integer> allReduceWorkers, List<Long> allReduceFloats, int allReduceReps, String samplePreset,
        List<String> samplers, List<Integer> sampleNfe, int sampleBatch, int fidCount, int fidDimension, int placementImages, String placementMaster,
        String placementPreset, int placementSteps, String output) {

    public static BenchSettings fromConfig(Config c) {
        List<String> presets = c.getStringList("bench.preset");
        if (presets.isEmpty()) throw new IllegalArgumentException("bench.preset lists no preset");
        for (String p : presets) {
            if (!UNetConfig.PRESETS.contains(p)) {
                throw new IllegalArgumentException("bench.preset: unknown preset '" + p + "' (valid: " + UNetConfig.PRESETS + ")");
            }
        }
        List<String> sections = c.getStringList("bench.sections");
        for (String s : sections) {
            if (!BenchRunner.names().contains(s)) {
                throw new IllegalArgumentException("bench.sections: unknown section '" + s + "' (valid: " + BenchRunner.names() + ")");
            }
        }
        List<String> objectives = c.getStringList("bench.objectives");
        for (String o : objectives) {
            if (!List.of("plain", "at", "hybrid").contains(o)) {
                throw new IllegalArgumentException("bench.objectives: '" + o + "' is not plain, at or hybrid");
            }
        }
        List<Precision> precisions;
        try {
            precisions = c.getStringList("bench.precisions").stream().map(Precision::named).toList();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bench.precisions: " + e.getMessage(), e);
        }
        String samplePreset = c.getString("bench.sample-preset");
        if (!UNetConfig.PRESETS.contains(samplePreset)) throw new IllegalArgumentException("bench.sample-preset: unknown preset '" + samplePreset + "'");
        List<String> samplers = c.getStringList("bench.samplers");
        for (String s : samplers) {
            if (!Samplers.NAMES.contains(s)) throw new IllegalArgumentException("bench.samplers: unknown sampler '" + s + "' (valid: " + Samplers.NAMES + ")");
        }
        List<Integer> workers = c.getIntList("bench.allreduce-workers");
        for (int w : workers) if (w < 2) throw new IllegalArgumentException("bench.allreduce-workers: " + w + " is below 2");
        List<Long> floats = c.getLongList("bench.allreduce-floats");
        for (long f : floats) if (f < 1) throw new IllegalArgumentException("bench.allreduce-floats: " + f + " is below 1");
        String placementPreset = c.getString("bench.placement-preset");
        if (!UNetConfig.PRESETS.contains(placementPreset)) {
            throw new IllegalArgumentException("bench.placement-preset: unknown preset '" + placementPreset + "'");
        }
        List<Integer> nfe = c.getIntList("bench.sample-nfe");
        for (int n : nfe) if (n < 1 || n > 1000) throw new IllegalArgumentException("bench.sample-nfe: " + n + " is outside 1..1000");
        return new BenchSettings(presets, positive(c, "bench.steps"), nonNegative(c, "bench.warmup"),
                positive(c, "bench.batch-size"), positive(c, "bench.rounds"), Set.copyOf(sections), objectives, precisions,
                c.getString("bench.python"), positive(c, "bench.threads"), positive(c, "bench.image-size"), workers, floats,
                positive(c, "bench.allreduce-reps"), samplePreset, samplers, nfe, positive(c, "bench.sample-batch"),
                positive(c, "bench.fid-count"), positive(c, "bench.fid-dimension"), positive(c, "bench.placement-images"),
                c.getString("bench.placement-master"), placementPreset, positive(c, "bench.placement-steps"),
                c.getString("output.path"));
    }

    public boolean runs(String section) {
        return sections.contains(section);
    }

    private static int positive(Config c, String key) {
        int v = c.getInt(key);
        if (v < 1) throw new IllegalArgumentException(key + " must be positive, got " + v);
        return v;
    }

    private static int nonNegative(Config c, String key) {
        int v = c.getInt(key);
        if (v < 0) throw new IllegalArgumentException(key + " must be >= 0, got " + v);
        return v;
    }
}
