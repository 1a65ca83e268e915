package org.atdiff.jobs.nll;

import org.atdiff.jobs.ExistingOutput;
import org.atdiff.jobs.SparkSessions;
import org.atdiff.jobs.SettingsReader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.VariationalBound;
import org.atdiff.jobs.Command;
import java.util.List;
import org.atdiff.jobs.CommandResult;
import org.atdiff.jobs.CommandSession;
import org.atdiff.jobs.StepFingerprint;
import org.atdiff.jobs.sample.CheckpointOnDataset;
import org.atdiff.jobs.sample.SamplingModel;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.jobs.train.RunLease;
import org.atdiff.stats.VariationalBoundSums;

/**
 * {@code atdiff nll}: the negative log-likelihood bound in bits per dimension of a run's model (EMA weights by
 * default) on a prepared dataset's split, over every timestep plus the prior term ({@link VariationalBound}),
 * distributed over partitions of images ({@link BoundStatistics}); printed and written to {@code output.path}/nll.json,
 * holding {@code output.path}'s {@link RunLease}.
 */
public final class NllJob implements Command {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What one evaluation found. */
    public record Result(long count, double bitsPerDim, double standardError, Path file) {}

    @Override
    public String summary() {
        return "variational bound (bits/dim) of run.dir's model on data.path's test split -> nll.json";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        NllSettings s = NllSettings.fromConfig(config);
        try (RunLease lease = RunLease.acquire("output.path", s.outputPath(), "nll", LeaseSettings.fromConfig(config),
                new Configuration())) {
            Configuration hadoop = new Configuration();
            Path checkpoint = s.resolveCheckpoint(hadoop);
            StepFingerprint step = StepFingerprint.of("nll", config, List.of("nll"),
                    Map.of("checkpoint", checkpoint.toString(), "data.path", s.dataPath()), hadoop);
            Path marker = StepFingerprint.beside(s.resultPath());
            if (step.alreadyDone(marker, "output.path", s.resultPath(), s.overwrite(), hadoop)) {
                return CommandResult.wrote("nll", List.of(s.resultPath())).asReused();
            }
            session.attach(lease);
            Result r = run(session.spark(), s);
            System.out.printf("nll: %.4f bits/dim (+- %.4f standard error over %d images) -> %s%n", r.bitsPerDim(),
                    r.standardError(), r.count(), r.file());
            step.commit(marker, hadoop);
            return CommandResult.wrote("nll", List.of(r.file())).withScores(Map.of("bits_per_dim", r.bitsPerDim()));
        }
    }

    /** Evaluates the bound and writes nll.json; bad inputs are errors naming their keys, before any Spark work. */
    public static Result run(SparkSession spark, NllSettings s) throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path out = s.resultPath();
        ExistingOutput.refuseUnlessOverwrite(out, s.overwrite(), hadoop);
        CheckpointOnDataset target = CheckpointOnDataset.open(spark, s.resolveCheckpoint(hadoop), s.ema(), s.dataPath(),
                s.split(), s.count(), "it has no variational bound");
        Path checkpoint = target.checkpoint();
        SamplingModel model = target.model();
        spark.sparkContext().setJobDescription("nll: bound of " + checkpoint.getName() + " on " + s.dataPath()
                + " (split " + s.split() + ")");
        VariationalBoundSums sums = BoundStatistics.compute(spark, target.images(), model, s);
        if (sums.count() == 0) {
            throw new IllegalArgumentException("data.path " + s.dataPath() + " has no images in nll.split '" + s.split() + "'");
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("bits_per_dim", sums.bitsPerDim());
        doc.put("standard_error", sums.standardError());
        doc.put("count", sums.count());
        doc.put("prior_bits_per_dim", sums.priorBitsPerDim());
        double[] terms = sums.termBitsPerDim();
        doc.put("decoder_bits_per_dim", terms[0]);
        doc.put("variance", model.spec().unet().learnSigma() ? "learned"
                : "fixed-" + VariationalBound.FIXED_VARIANCE.name().toLowerCase());
        doc.put("timesteps", terms.length);
        doc.put("checkpoint", checkpoint.toString());
        doc.put("step", model.step());
        doc.put("ema", s.ema());
        doc.put("data", s.dataPath());
        doc.put("split", s.split().configName());
        doc.put("seed", s.seed());
        doc.put("terms_bits_per_dim", terms);
        byte[] bytes = JSON.writeValueAsBytes(doc);
        new RunDirectory(s.outputPath(), hadoop).writeAtomically(NllSettings.RESULT_FILE, o -> o.write(bytes));
        return new Result(sums.count(), sums.bitsPerDim(), sums.standardError(), out);
    }

    @Override
    public void readSettings(SettingsReader r) {
        NllSettings.read(r);
        LeaseSettings.read(r);
        SparkSessions.readSettings(r);
    }
}
