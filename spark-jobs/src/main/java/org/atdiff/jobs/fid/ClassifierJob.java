package org.atdiff.jobs.fid;

import com.typesafe.config.Config;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.ExistingOutput;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.command.StepFingerprint;
import org.atdiff.tensor.EngineThreads;
import org.atdiff.train.ClassifierTraining;

/**
 * {@code atdiff classifier}: trains the FD feature classifier on the prepared dataset {@code data.path}
 * ({@code fid.classifier-*} keys) and saves it to {@code output.path} (a {@code .safetensors} file, or a folder
 * receiving {@code classifier.safetensors}); prints its test accuracy and checksum. Use it as {@code fid.classifier}.
 */
public final class ClassifierJob implements Command {
    @Override
    public String summary() {
        return "prepared dataset -> small feature classifier (.safetensors) for fd_classifier scores";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        FidSettings s = FidSettings.fromConfig(config);
        String out = config.getString("output.path");
        Path file = out.endsWith(".safetensors") ? new Path(out) : new Path(out, "classifier.safetensors");
        org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
        StepFingerprint step = StepFingerprint.of("classifier", config, java.util.List.of("fid"),
                java.util.Map.of("data.path", config.getString("data.path")), hadoop);
        Path marker = StepFingerprint.beside(file);
        if (step.alreadyDone(marker, "output.path", file, config.getBoolean("output.overwrite"), hadoop)) {
            return CommandResult.wrote("classifier", java.util.List.of(file)).asReused();
        }
        SparkSession spark = session.spark();
        ExistingOutput.refuseUnlessOverwrite(file, config.getBoolean("output.overwrite"),
                spark.sparkContext().hadoopConfiguration());
        EngineThreads.use(EngineThreads.resolve(s.threads(), Runtime.getRuntime().availableProcessors()));
        ClassifierTraining.Result r = DatasetClassifier.train(spark, config.getString("data.path"), s.training());
        DatasetClassifier.save(r.classifier(), file, spark.sparkContext().hadoopConfiguration());
        FeatureExtractors.report(r, file);
        step.commit(marker, hadoop);
        return CommandResult.wrote("classifier", java.util.List.of(file));
    }

    @Override
    public void readSettings(SettingsReader r) {
        FidSettings.read(r);
        r.nonEmpty("data.path");
        r.nonEmpty("output.path");
        r.bool("output.overwrite");
        SparkSessions.readSettings(r);
    }
}
