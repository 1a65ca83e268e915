package org.atdiff.jobs.sample;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.command.StepFingerprint;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;

/**
 * {@code atdiff sample}: images from a trained run ({@code run.dir}'s latest checkpoint or {@code sample.checkpoint})
 * generated on executors, one sample set per sampler and NFE under {@code output.path} ({@link SampleGeneration}),
 * holding {@code output.path}'s {@link RunLease}.
 */
public final class SampleJob implements Command {
    @Override
    public String summary() {
        return "checkpoint -> sample sets (Parquet + grid.png) per sampler and NFE";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        SampleSettings settings = SampleSettings.fromConfig(config);
        try (RunLease lease = RunLease.acquire("output.path", settings.outputPath(), "sample",
                LeaseSettings.fromConfig(config), new Configuration())) {
            Configuration hadoop = new Configuration();
            Path out = new Path(settings.outputPath());
            StepFingerprint step = StepFingerprint.of("sample", config, List.of("sample"),
                    Map.of("checkpoint", SamplingModel.resolve(settings, hadoop).toString()), hadoop);
            Path marker = StepFingerprint.inFolder(out);
            if (step.alreadyDone(marker, "output.path", out, settings.overwrite(), hadoop)) {
                return CommandResult.wrote("sample", settings.sets().stream().map(s -> new Path(out, s.folderName())).toList())
                        .asReused();
            }
            lease.attach(session);
            List<SampleGeneration.WrittenSet> sets = SampleGeneration.run(session.spark(), settings);
            for (SampleGeneration.WrittenSet w : sets) {
                System.out.printf("sample: %d images, %s at NFE %d (%s timesteps%s)%s from %s (step %d) -> %s%n",
                        w.count(), w.set().sampler(), w.set().nfe(), w.set().spacing(),
                        w.variance().equals("none") ? "" : ", " + w.variance() + " variance",
                        w.set().es() ? " with epsilon scaling" : "", w.checkpoint(), w.step(), w.folder());
            }
            step.commit(marker, hadoop);
            return CommandResult.wrote("sample", sets.stream().map(SampleGeneration.WrittenSet::folder).toList());
        }
    }

    @Override
    public void readSettings(SettingsReader r) {
        SampleSettings.read(r);
        LeaseSettings.read(r);
        SparkSessions.readSettings(r);
    }
}
