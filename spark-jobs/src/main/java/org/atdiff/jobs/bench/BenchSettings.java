package org.atdiff.jobs.bench;

import static org.atdiff.settings.SettingChecks.atLeast;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.train.TrainSettings;
import org.atdiff.nn.UNetConfig;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.sampling.Samplers;
import org.atdiff.train.Precision;

/** The {@code bench.*} configuration keys, validated (each error names its key), and the {@code at.*} of the AT step timed. */
public record BenchSettings(List<String> presets, int steps, int warmup, int batchSize, int rounds, Set<String> sections,
        List<String> objectives, List<Precision> precisions, String python, int threads, int imageSize,
        List<Integer> allReduceWorkers, List<Long> allReduceFloats, int allReduceReps, String samplePreset,
        List<String> samplers, List<Integer> sampleNfe, int sampleBatch, int fidCount, int fidDimension, int placementImages, String placementMaster,
        String placementPreset, int placementSteps, Duration placementProbeInterval, String output, AdversarialSettings adversarial) {

    public static BenchSettings fromConfig(Config c) {
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static BenchSettings read(SettingsReader r) {
        List<String> presets = r.oneOfList("bench.preset", UNetConfig.PRESETS);
        if (presets.isEmpty()) throw new IllegalArgumentException("bench.preset lists no preset");
        List<Integer> workers = r.ints("bench.allreduce-workers");
        for (int w : workers) atLeast("bench.allreduce-workers", w, 2);
        List<Long> floats = r.longs("bench.allreduce-floats");
        for (long f : floats) atLeast("bench.allreduce-floats", f, 1);
        return new BenchSettings(presets, r.atLeast("bench.steps", 1), r.atLeast("bench.warmup", 0),
                r.atLeast("bench.batch-size", 1), r.atLeast("bench.rounds", 1),
                Set.copyOf(r.oneOfList("bench.sections", BenchRunner.names())),
                r.oneOfList("bench.objectives", List.of("plain", "at", "hybrid")),
                r.namedList("bench.precisions", Precision::named), r.string("bench.python"),
                r.atLeast("bench.threads", 1), r.atLeast("bench.image-size", 1), workers, floats,
                r.atLeast("bench.allreduce-reps", 1), r.oneOf("bench.sample-preset", UNetConfig.PRESETS),
                r.oneOfList("bench.samplers", Samplers.NOISE_PREDICTION), r.intsInRange("bench.sample-nfe", 1, 1000),
                r.atLeast("bench.sample-batch", 1), r.atLeast("bench.fid-count", 1), r.atLeast("bench.fid-dimension", 1),
                r.atLeast("bench.placement-images", 1), r.string("bench.placement-master"),
                r.oneOf("bench.placement-preset", UNetConfig.PRESETS), r.atLeast("bench.placement-steps", 1),
                r.positiveDuration("bench.placement-probe-interval"), r.string("output.path"), TrainSettings.adversarial(r));
    }

    public boolean runs(String section) {
        return sections.contains(section);
    }
}
