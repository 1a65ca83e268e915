package org.atdiff.jobs.nll;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.given;
import static org.atdiff.settings.SettingChecks.nonEmpty;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.SettingsReader;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.prep.DatasetSplit;

/**
 * The {@code nll.*} keys (plus {@code run.dir}, {@code data.path}, {@code engine.threads}, {@code output.*}) as typed,
 * checked settings; every bad value is an error naming its key.
 *
 * @param checkpoint a checkpoint file, or "" for the latest checkpoint of {@code runDir}
 * @param count      images to evaluate, the first by id (0 = the whole split)
 * @param partitions Spark tasks (0 = Spark's default parallelism)
 * @param threads    libtorch threads per task (0 = the cores Spark gives a task)
 */
public record NllSettings(String checkpoint, String runDir, boolean ema, String dataPath, DatasetSplit split, int count,
        int batchSize, int partitions, long seed, int threads, String outputPath, boolean overwrite) implements Serializable {
    /** The file written under output.path. */
    public static final String RESULT_FILE = "nll.json";

    public NllSettings {
        if (checkpoint.isBlank() && runDir.isBlank()) {
            throw new IllegalArgumentException("nll.checkpoint and run.dir are both empty: name a checkpoint or a run");
        }
        nonEmpty("data.path", dataPath);
        given("nll.split", split);
        atLeast("nll.count", count, 0);
        atLeast("nll.batch-size", batchSize, 1);
        atLeast("nll.partitions", partitions, 0);
        atLeast("engine.threads", threads, 0);
        nonEmpty("output.path", outputPath);
    }

    public static NllSettings fromConfig(Config c) {
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static NllSettings read(SettingsReader r) {
        return new NllSettings(r.string("nll.checkpoint"), r.string("run.dir"), r.bool("nll.ema"), r.string("data.path"),
                r.named("nll.split", v -> DatasetSplit.parse(v, "nll.split")), r.integer("nll.count"),
                r.integer("nll.batch-size"), r.integer("nll.partitions"), r.longValue("nll.seed"),
                r.integer("engine.threads"), r.string("output.path"), r.bool("output.overwrite"));
    }

    /** The checkpoint {@code nll.checkpoint} names, else the latest of {@code run.dir}. */
    public Path resolveCheckpoint(Configuration hadoop) throws IOException {
        return RunDirectory.checkpointToRead("nll.checkpoint", checkpoint, runDir, hadoop);
    }

    /** The result file: output.path/nll.json. */
    public Path resultPath() {
        return new Path(outputPath, RESULT_FILE);
    }
}
