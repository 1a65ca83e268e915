package org.atdiff.jobs.nll;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
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
        if (dataPath.isBlank()) throw new IllegalArgumentException("data.path is empty: name a prepared dataset");
        if (split == null) throw new IllegalArgumentException("nll.split must be given");
        if (count < 0) throw new IllegalArgumentException("nll.count must be >= 0 but is " + count);
        if (batchSize < 1) throw new IllegalArgumentException("nll.batch-size must be >= 1 but is " + batchSize);
        if (partitions < 0) throw new IllegalArgumentException("nll.partitions must be >= 0 but is " + partitions);
        if (threads < 0) throw new IllegalArgumentException("engine.threads must be >= 0 but is " + threads);
        if (outputPath.isBlank()) throw new IllegalArgumentException("output.path is empty");
    }

    public static NllSettings fromConfig(Config c) {
        return new NllSettings(c.getString("nll.checkpoint"), c.getString("run.dir"), c.getBoolean("nll.ema"),
                c.getString("data.path"), DatasetSplit.parse(c.getString("nll.split"), "nll.split"), c.getInt("nll.count"), c.getInt("nll.batch-size"),
                c.getInt("nll.partitions"), c.getLong("nll.seed"), c.getInt("engine.threads"), c.getString("output.path"),
                c.getBoolean("output.overwrite"));
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
