package org.atdiff.jobs.sample;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.given;
import static org.atdiff.settings.SettingChecks.nonEmpty;
import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.prep.DatasetSplit;

/**
 * The keys every evaluation of a checkpoint on a dataset's split shares ({@code nll}, {@code eps-mse}):
 * {@code <command>.checkpoint, ema, split, count, batch-size, partitions, seed} plus {@code run.dir},
 * {@code data.path}, {@code engine.threads}, {@code output.*}; every bad value is an error naming its key.
 *
 * @param command    the command, which prefixes its keys and names its result file {@code <command>.json}
 * @param checkpoint a checkpoint file, or "" for the latest checkpoint of {@code runDir}
 * @param count      images to evaluate, the first by id (0 = the whole split)
 * @param partitions Spark tasks (0 = Spark's default parallelism)
 * @param threads    libtorch threads per task (0 = the cores Spark gives a task)
 */
public record EvaluationSettings(String command, String checkpoint, String runDir, boolean ema, String dataPath,
        DatasetSplit split, int count, int batchSize, int partitions, long seed, int threads, String outputPath,
        boolean overwrite) implements Serializable {
    public EvaluationSettings {
        if (checkpoint.isBlank() && runDir.isBlank()) {
            throw new IllegalArgumentException(command + ".checkpoint and run.dir are both empty: name a checkpoint or a run");
        }
        nonEmpty("data.path", dataPath);
        given(command + ".split", split);
        atLeast(command + ".count", count, 0);
        atLeast(command + ".batch-size", batchSize, 1);
        atLeast(command + ".partitions", partitions, 0);
        atLeast("engine.threads", threads, 0);
        nonEmpty("output.path", outputPath);
    }

    /** Reads {@code command}'s keys, recording the paths read in {@code r}. */
    public static EvaluationSettings read(SettingsReader r, String command) {
        String p = command + ".";
        return new EvaluationSettings(command, r.string(p + "checkpoint"), r.string("run.dir"), r.bool(p + "ema"),
                r.string("data.path"), r.named(p + "split", v -> DatasetSplit.parse(v, p + "split")), r.integer(p + "count"),
                r.integer(p + "batch-size"), r.integer(p + "partitions"), r.longValue(p + "seed"),
                r.integer("engine.threads"), r.string("output.path"), r.bool("output.overwrite"));
    }

    /** The checkpoint {@code <command>.checkpoint} names, else the latest of {@code run.dir}. */
    public Path resolveCheckpoint(Configuration hadoop) throws IOException {
        return RunDirectory.checkpointToRead(command + ".checkpoint", checkpoint, runDir, hadoop);
    }

    /** The result file: output.path/{@code <command>.json}. */
    public Path resultPath() {
        return new Path(outputPath, command + ".json");
    }
}
