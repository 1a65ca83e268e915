package org.atdiff.jobs;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.PrepJobSettings;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.command.StepFingerprint;
import org.atdiff.prep.DatasetPrep;
import org.atdiff.prep.Manifest;
import org.atdiff.prep.PrepSettings;

/**
 * {@code atdiff prep}: turns the raw dataset at {@code input.path} into the Parquet dataset at
 * {@code output.path} ({@link DatasetPrep}). Also a main for {@code spark-submit --class org.atdiff.jobs.PrepJob}.
 */
public final class PrepJob implements Command {
    @Override
    public String summary() {
        return "raw images (folder, cifar10-bin, idx, parquet, builtin:shapes) -> Parquet dataset + manifest";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        PrepSettings settings = PrepJobSettings.fromConfig(config);
        Configuration hadoop = new Configuration();
        Path out = new Path(settings.outputPath());
        StepFingerprint step = StepFingerprint.of("prep", config, List.of("input", "image", "split"),
                Map.of("input.path", config.getString("input.path")), hadoop);
        Path marker = StepFingerprint.inFolder(out);
        CommandResult result = CommandResult.wrote("prep", List.of(settings.outputPath()));
        if (step.alreadyDone(marker, "output.path", out, settings.overwrite(), hadoop)) return result.asReused();
        Manifest m = DatasetPrep.run(session.spark(), settings);
        System.out.printf("prep: %d images (%d rejected), %dx%dx%d, %d shards, split %s -> %s (checksum %s)%n",
                m.rows(), m.rejected(), m.channels(), m.height(), m.width(), m.shards(), m.split(),
                settings.outputPath(), m.checksum());
        step.commit(marker, hadoop);
        return result;
    }

    @Override
    public void readSettings(SettingsReader r) {
        PrepJobSettings.read(r);
        SparkSessions.readSettings(r);
    }

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "prep";
        System.arraycopy(args, 0, all, 1, args.length);
        Atdiff.main(all);
    }
}
