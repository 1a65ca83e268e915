package org.atdiff.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.ModelSettings;
import org.atdiff.jobs.command.PrepJobSettings;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.fid.FidScoring;
import org.atdiff.jobs.fid.FidSettings;
import org.atdiff.jobs.fid.ImageStatistics;
import org.atdiff.jobs.fid.StatsJob;
import org.atdiff.jobs.report.PipelineReport;
import org.atdiff.jobs.sample.SampleGeneration;
import org.atdiff.jobs.sample.SampleSettings;
import org.atdiff.jobs.train.DistributedTrainer;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;
import org.atdiff.jobs.train.TrainSettings;
import org.atdiff.prep.DatasetPrep;
import org.atdiff.prep.Manifest;
import org.atdiff.prep.PrepSettings;

/**
 * {@code atdiff pipeline}: prep, train, sample and FID end to end in one Spark application, then
 * {@code run.dir/report.html}. Without {@code --conf} it runs the {@code quickstart.conf} profile (the built-in
 * shapes dataset on an embedded local Spark). Each stage reuses what a previous run left: an existing dataset at
 * {@code data.path} is not prepared again and training resumes from {@code run.dir}'s checkpoints; the derived
 * outputs (samples, statistics, scores, report) are rewritten. Holds the {@link RunLease} of {@code run.dir} (and of
 * {@code samples.path} when it lies outside) while it runs.
 */
public final class PipelineJob implements Command {
    @Override
    public String summary() {
        return "prep -> train -> sample -> stats -> fid -> run.dir/report.html (default profile: quickstart.conf)";
    }

    @Override
    public String defaultProfile() {
        return "quickstart.conf";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        String runDir = config.getString("run.dir");
        String dataPath = config.getString("data.path");
        String samplesPath = config.getString("samples.path");
        Config prepConf = config.withValue("output.path", ConfigValueFactory.fromAnyRef(dataPath));
        Config sampleConf = config.withValue("output.path", ConfigValueFactory.fromAnyRef(samplesPath))
                .withValue("sample.checkpoint", ConfigValueFactory.fromAnyRef(""))
                .withValue("output.overwrite", ConfigValueFactory.fromAnyRef(true));
        // Every stage's settings are checked before any Spark work, so a bad key fails at once and names itself.
        PrepSettings prepSettings = PrepJobSettings.fromConfig(prepConf);
        TrainSettings.fromConfig(config);
        ModelSettings.fromConfig(config, config.getInt("image.size"), config.getInt("image.channels"),
                ModelSettings.CLASSES_UNKNOWN);
        SampleSettings sampleSettings = SampleSettings.fromConfig(sampleConf);
        FidSettings fidSettings = FidSettings.fromConfig(config);
        Configuration hadoop = new Configuration();

        LeaseSettings leaseSettings = LeaseSettings.fromConfig(config);
        try (RunLease runLease = RunLease.acquire("run.dir", runDir, "pipeline", leaseSettings, hadoop);
             RunLease samplesLease = within(samplesPath, runDir, hadoop) ? null
                     : RunLease.acquire("samples.path", samplesPath, "pipeline", leaseSettings, hadoop)) {
            Map<String, Long> seconds = new LinkedHashMap<>();
            long t0 = System.nanoTime();
            runLease.attach(session);
            if (samplesLease != null) samplesLease.attach(session);
            SparkSession spark = session.spark();
            hadoop = spark.sparkContext().hadoopConfiguration();
            Path manifestPath = new Path(dataPath, "manifest.json");
            if (manifestPath.getFileSystem(hadoop).exists(manifestPath)) {
                System.out.println("pipeline: prep skipped, dataset already at " + dataPath);
            } else {
                System.out.println("pipeline: prep " + config.getString("input.path") + " -> " + dataPath);
                Manifest m = DatasetPrep.run(spark, prepSettings);
                System.out.printf("pipeline: prepared %d images%n", m.rows());
            }
            seconds.put("prep", lap(t0));

            long t1 = System.nanoTime();
            DistributedTrainer trainer = DistributedTrainer.prepare(config, hadoop);
            DistributedTrainer.Outcome trained = trainer.run(spark, System.out);
            seconds.put("train", lap(t1));

            long t2 = System.nanoTime();
            List<SampleGeneration.WrittenSet> sets = SampleGeneration.run(spark, sampleSettings);
            for (SampleGeneration.WrittenSet w : sets) {
                System.out.printf("pipeline: sampled %d images with %s at NFE %d%s -> %s%n", w.count(), w.set().sampler(),
                        w.set().nfe(), w.set().es() ? " + ES" : "", w.folder());
            }
            seconds.put("sample", lap(t2));

            long t3 = System.nanoTime();
            String statsPath = new Path(runDir, "reference").toString();
            ImageStatistics ref = StatsJob.write(spark, fidSettings, dataPath, statsPath, true);
            List<FidScoring.Result> scores = FidScoring.run(spark, fidSettings, samplesPath,
                    StatsJob.npzPath(statsPath).toString(), new Path(runDir, "fid").toString(), true);
            for (FidScoring.Result r : scores) System.out.println("pipeline: " + r.line());
            seconds.put("stats + fid", lap(t3));
            seconds.put("total", lap(t0));

            Path report = PipelineReport.write(config, trainer.spec(), sets, scores, ref, seconds, hadoop);
            System.out.println("pipeline: report at " + report);
            Map<String, Double> byName = new LinkedHashMap<>();
            for (FidScoring.Result r : scores) byName.put(r.set() + " " + r.scoreName(), r.score());
            List<Object> written = new ArrayList<>(List.of(dataPath, trained.checkpoint()));
            sets.forEach(w -> written.add(w.folder()));
            written.addAll(List.of(StatsJob.npzPath(statsPath), new Path(runDir, "fid/" + FidScoring.RESULT_FILE), report));
            return CommandResult.wrote("pipeline", written).withScores(byName).withLastMetrics(trained.lastMetrics());
        }
    }

    @Override
    public void readSettings(SettingsReader r) {
        PrepJobSettings.read(r);
        TrainSettings.read(r);
        ModelSettings.read(r, r.integer("image.size"), r.integer("image.channels"), ModelSettings.CLASSES_UNKNOWN);
        SampleSettings.read(r);
        FidSettings.read(r);
        LeaseSettings.read(r);
        r.nonEmpty("samples.path");
        SparkSessions.readSettings(r);
    }

    @Override
    public String target(Config config) {
        return config.getString("run.dir");
    }

    /** Whether {@code path} is {@code dir} or inside it (then dir's lease covers it). */
    private static boolean within(String path, String dir, Configuration hadoop) throws IOException {
        Path p = new Path(path);
        Path d = new Path(dir);
        String ps = p.getFileSystem(hadoop).makeQualified(p).toString();
        String ds = d.getFileSystem(hadoop).makeQualified(d).toString();
        return ps.equals(ds) || ps.startsWith(ds.endsWith("/") ? ds : ds + "/");
    }

    private static long lap(long since) {
        return Math.round((System.nanoTime() - since) / 1e9);
    }
}
