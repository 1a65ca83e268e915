package org.atdiff.jobs.fid;

import com.typesafe.config.Config;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.ExistingOutput;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.command.StepFingerprint;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;
import org.atdiff.prep.PreparedDataset;
import org.atdiff.stats.FeatureMoments;

/**
 * {@code atdiff stats}: the feature statistics of the prepared dataset {@code data.path} (split
 * {@code reference.split}) as an {@code .npz} with {@code mu} and {@code sigma} plus its sidecar {@code .json}.
 * {@code output.path} is the {@code .npz} file if it ends in {@code .npz}, else a folder receiving {@code stats.npz};
 * a classifier trained on the way (features=classifier, empty fid.classifier) is saved beside it. Holds the
 * {@link RunLease} of the folder the .npz goes to.
 */
public final class StatsJob implements Command {
    @Override
    public String summary() {
        return "prepared dataset -> feature statistics .npz (mu, sigma) for fid";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        FidSettings s = FidSettings.fromConfig(config);
        String data = config.getString("data.path");
        String out = config.getString("output.path");
        boolean overwrite = config.getBoolean("output.overwrite");
        try (RunLease lease = RunLease.acquire("output.path", npzPath(out).getParent().toString(), "stats",
                LeaseSettings.fromConfig(config), new Configuration())) {
            Configuration hadoop = new Configuration();
            StepFingerprint step = StepFingerprint.of("stats", config, java.util.List.of("fid", "reference.split"),
                    java.util.Map.of("data.path", data), hadoop);
            Path marker = StepFingerprint.beside(npzPath(out));
            if (step.alreadyDone(marker, "output.path", npzPath(out), overwrite, hadoop)) {
                return CommandResult.wrote("stats", java.util.List.of(npzPath(out))).asReused();
            }
            lease.attach(session);
            ImageStatistics stats = write(session.spark(), s, data, out, overwrite);
            System.out.printf("stats: %d images of %s, %d-d %s features (%s) -> %s%n", stats.count(),
                    stats.source(), stats.dimension(), stats.features(), stats.extractorId(), npzPath(out));
            step.commit(marker, hadoop);
            return CommandResult.wrote("stats", java.util.List.of(npzPath(out)));
        }
    }

    /** The .npz file that {@code output.path} names. */
    public static Path npzPath(String outputPath) {
        return outputPath.endsWith(".npz") ? new Path(outputPath) : new Path(outputPath, "stats.npz");
    }

    /** Where a classifier trained for these statistics is saved: beside the .npz. */
    static Path classifierPath(Path npz) {
        String stem = npz.getName().substring(0, npz.getName().length() - ".npz".length());
        return new Path(npz.getParent(), stem.equals("stats") ? "classifier.safetensors" : stem + "-classifier.safetensors");
    }

    public static ImageStatistics write(SparkSession spark, FidSettings s, String dataPath, String outputPath,
                                        boolean overwrite) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path npz = npzPath(outputPath);
        ExistingOutput.refuseUnlessOverwrite(npz, overwrite, hadoop);
        FeatureExtractor fx = FeatureExtractors.resolve(spark, s, null, dataPath, classifierPath(npz));
        return compute(spark, s, fx, dataPath, npz);
    }

    /** Statistics of a prepared dataset's split with {@code fx}, written to {@code npz}. */
    static ImageStatistics compute(SparkSession spark, FidSettings s, FeatureExtractor fx, String dataPath, Path npz)
            throws IOException {
        spark.sparkContext().setJobDescription("stats: " + fx.kind() + " features of " + dataPath);
        FeatureMoments m = FeatureStatistics.compute(spark,
                PreparedDataset.open(dataPath, spark.sparkContext().hadoopConfiguration()).images(spark, s.split()), fx,
                s.batchSize(), s.threads()).moments();
        ImageStatistics stats = ImageStatistics.of(m, fx, dataPath + " (split " + s.split() + ")");
        stats.write(npz, spark.sparkContext().hadoopConfiguration());
        return stats;
    }

    @Override
    public void readSettings(SettingsReader r) {
        FidSettings.read(r);
        LeaseSettings.read(r);
        r.nonEmpty("data.path");
        r.nonEmpty("output.path");
        r.bool("output.overwrite");
        SparkSessions.readSettings(r);
    }
}
