package org.atdiff.jobs;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
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
        PrepSettings settings = settings(config);
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

    /** The {@code input.*}, {@code image.*}, {@code split.*} and {@code output.*} keys as typed settings. */
    public static PrepSettings settings(Config c) {
        return new PrepSettings(c.getString("input.path"), c.getString("input.format"), c.getString("input.image-column"),
                c.getString("input.label-column"), c.getDouble("input.max-rejected-fraction"), c.getInt("input.builtin-count"),
                c.getLong("input.builtin-seed"), c.getInt("input.partitions"), c.getInt("image.size"),
                c.getInt("image.channels"), c.getString("image.resize"), c.getDouble("split.test-fraction"),
                c.getLong("split.seed"), c.getString("output.path"), c.getBoolean("output.overwrite"),
                c.getInt("output.shards"));
    }

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "prep";
        System.arraycopy(args, 0, all, 1, args.length);
        Atdiff.main(all);
    }
}
