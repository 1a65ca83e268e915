package org.atdiff.jobs.nll;

import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.VariationalBound;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.sample.CheckpointOnDataset;
import org.atdiff.jobs.sample.EvaluationSettings;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;
import org.atdiff.stats.VariationalBoundSums;

/**
 * {@code atdiff nll}: the negative log-likelihood bound in bits per dimension of a run's model (EMA weights by
 * default) on a prepared dataset's split, over every timestep plus the prior term ({@link VariationalBound}),
 * distributed over partitions of images ({@link BoundStatistics}); printed and written to {@code output.path}/nll.json,
 * holding {@code output.path}'s {@link RunLease}.
 */
public final class NllJob implements Command {
    /** What one evaluation found. */
    public record Result(long count, double bitsPerDim, double standardError, Path file) {}

    @Override
    public String summary() {
        return "variational bound (bits/dim) of run.dir's model on data.path's test split -> nll.json";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        EvaluationSettings s = EvaluationSettings.read(new SettingsReader(config), "nll");
        return CheckpointOnDataset.once(config, session, s, spark -> {
            Result r = run(spark, s);
            System.out.printf("nll: %.4f bits/dim (+- %.4f standard error over %d images) -> %s%n", r.bitsPerDim(),
                    r.standardError(), r.count(), r.file());
            return CommandResult.wrote("nll", List.of(r.file())).withScores(Map.of("bits_per_dim", r.bitsPerDim()));
        });
    }

    /** Evaluates the bound and writes nll.json; bad inputs are errors naming their keys, before any Spark work. */
    public static Result run(SparkSession spark, EvaluationSettings s) throws Exception {
        CheckpointOnDataset target = CheckpointOnDataset.open(spark, s, "it has no variational bound");
        VariationalBoundSums sums = target.aggregate(spark, "bound", new BoundStatistics(s.seed()));
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
        doc.put("variance", target.model().spec().unet().learnSigma() ? "learned"
                : "fixed-" + VariationalBound.FIXED_VARIANCE.name().toLowerCase());
        doc.put("timesteps", terms.length);
        Path file = target.write(doc, Map.of("terms_bits_per_dim", terms));
        return new Result(sums.count(), sums.bitsPerDim(), sums.standardError(), file);
    }

    @Override
    public void readSettings(SettingsReader r) {
        EvaluationSettings.read(r, "nll");
        LeaseSettings.read(r);
        SparkSessions.readSettings(r);
    }
}
