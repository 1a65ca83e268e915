package org.atdiff.jobs.robust;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.objective.PerturbedDenoisingError.Attack;
import org.atdiff.prep.DatasetSplit;

/**
 * The {@code eps-mse.*} keys (plus {@code run.dir}, {@code data.path}, {@code engine.threads}, {@code output.*}) as
 * typed, checked settings; every bad value is an error naming its key.
 *
 * @param checkpoint a checkpoint file, or "" for the latest checkpoint of {@code runDir}
 * @param count      images to evaluate, the first by id (0 = the whole split)
 * @param timestepBins edges e_0 < e_1 < ... of the timestep bins [e_j, e_{j+1}); every image is evaluated once per bin
 * @param radii      l2 norms of the perturbation per sample
 * @param partitions Spark tasks (0 = Spark's default parallelism)
 * @param threads    libtorch threads per task (0 = the cores Spark gives a task)
 */
public record EpsMseSettings(String checkpoint, String runDir, boolean ema, String dataPath, DatasetSplit split, int count,
        int batchSize, int partitions, long seed, int[] timestepBins, double[] radii, List<Attack> attacks, int threads,
        String outputPath, boolean overwrite) implements Serializable {
    /** The file written under output.path. */
    public static final String RESULT_FILE = "eps-mse.json";

    public EpsMseSettings {
        if (checkpoint.isBlank() && runDir.isBlank()) {
            throw new IllegalArgumentException("eps-mse.checkpoint and run.dir are both empty: name a checkpoint or a run");
        }
        if (dataPath.isBlank()) throw new IllegalArgumentException("data.path is empty: name a prepared dataset");
        if (split == null) throw new IllegalArgumentException("eps-mse.split must be given");
        if (count < 0) throw new IllegalArgumentException("eps-mse.count must be >= 0 but is " + count);
        if (batchSize < 1) throw new IllegalArgumentException("eps-mse.batch-size must be >= 1 but is " + batchSize);
        if (partitions < 0) throw new IllegalArgumentException("eps-mse.partitions must be >= 0 but is " + partitions);
        if (timestepBins.length < 2 || timestepBins[0] < 0) {
            throw new IllegalArgumentException("eps-mse.t-bins needs at least two edges, the first >= 0: "
                    + java.util.Arrays.toString(timestepBins));
        }
        for (int j = 1; j < timestepBins.length; j++) {
            if (timestepBins[j] <= timestepBins[j - 1]) {
                throw new IllegalArgumentException("eps-mse.t-bins must increase: " + java.util.Arrays.toString(timestepBins));
            }
        }
        if (radii.length == 0) throw new IllegalArgumentException("eps-mse.radii is empty");
        for (double r : radii) {
            if (!(r >= 0) || !Double.isFinite(r)) throw new IllegalArgumentException("eps-mse.radii: " + r + " is not a finite norm >= 0");
        }
        if (attacks.isEmpty()) throw new IllegalArgumentException("eps-mse.attacks is empty");
        if (threads < 0) throw new IllegalArgumentException("engine.threads must be >= 0 but is " + threads);
        if (outputPath.isBlank()) throw new IllegalArgumentException("output.path is empty");
    }

    public static EpsMseSettings fromConfig(Config c) {
        return new EpsMseSettings(c.getString("eps-mse.checkpoint"), c.getString("run.dir"), c.getBoolean("eps-mse.ema"),
                c.getString("data.path"), DatasetSplit.parse(c.getString("eps-mse.split"), "eps-mse.split"), c.getInt("eps-mse.count"),
                c.getInt("eps-mse.batch-size"), c.getInt("eps-mse.partitions"), c.getLong("eps-mse.seed"),
                c.getIntList("eps-mse.t-bins").stream().mapToInt(Integer::intValue).toArray(),
                c.getDoubleList("eps-mse.radii").stream().mapToDouble(Double::doubleValue).toArray(),
                c.getStringList("eps-mse.attacks").stream().map(a -> Attack.named("eps-mse.attacks", a)).distinct().toList(),
                c.getInt("engine.threads"), c.getString("output.path"), c.getBoolean("output.overwrite"));
    }

    /** The number of timestep bins. */
    public int bins() {
        return timestepBins.length - 1;
    }

    /** The cell of (bin, attack, radius) in the job's {@link org.atdiff.stats.RunningMeans}. */
    public int cell(int bin, int attack, int radius) {
        return (bin * attacks.size() + attack) * radii.length + radius;
    }

    /** The cells: bins x attacks x radii. */
    public int cells() {
        return bins() * attacks.size() * radii.length;
    }

    /** The checkpoint {@code eps-mse.checkpoint} names, else the latest of {@code run.dir}. */
    public Path resolveCheckpoint(Configuration hadoop) throws IOException {
        return RunDirectory.checkpointToRead("eps-mse.checkpoint", checkpoint, runDir, hadoop);
    }

    /** The result file: output.path/eps-mse.json. */
    public Path resultPath() {
        return new Path(outputPath, RESULT_FILE);
    }
}
