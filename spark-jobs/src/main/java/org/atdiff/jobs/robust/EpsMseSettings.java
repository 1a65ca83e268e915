package org.atdiff.jobs.robust;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.given;
import static org.atdiff.settings.SettingChecks.nonEmpty;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.SettingsReader;
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
        nonEmpty("data.path", dataPath);
        given("eps-mse.split", split);
        atLeast("eps-mse.count", count, 0);
        atLeast("eps-mse.batch-size", batchSize, 1);
        atLeast("eps-mse.partitions", partitions, 0);
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
        atLeast("engine.threads", threads, 0);
        nonEmpty("output.path", outputPath);
    }

    public static EpsMseSettings fromConfig(Config c) {
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static EpsMseSettings read(SettingsReader r) {
        return new EpsMseSettings(r.string("eps-mse.checkpoint"), r.string("run.dir"), r.bool("eps-mse.ema"),
                r.string("data.path"), r.named("eps-mse.split", v -> DatasetSplit.parse(v, "eps-mse.split")),
                r.integer("eps-mse.count"), r.integer("eps-mse.batch-size"), r.integer("eps-mse.partitions"),
                r.longValue("eps-mse.seed"), r.intArray("eps-mse.t-bins"), r.doubleArray("eps-mse.radii"),
                r.namedList("eps-mse.attacks", a -> Attack.named("eps-mse.attacks", a)).stream().distinct().toList(),
                r.integer("engine.threads"), r.string("output.path"), r.bool("output.overwrite"));
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
