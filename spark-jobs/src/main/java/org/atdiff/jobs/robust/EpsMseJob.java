package org.atdiff.jobs.robust;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.sample.CheckpointOnDataset;
import org.atdiff.jobs.sample.EvaluationSettings;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;
import org.atdiff.objective.PerturbedDenoisingError;
import org.atdiff.stats.RunningMeans;

/**
 * {@code atdiff eps-mse}: the held-out denoising error of a run's model (EMA weights by default) under perturbations of
 * its input ({@link PerturbedDenoisingError}: random and one-step gradient deltas of several l2 norms), per timestep bin,
 * on a prepared dataset's split; a direct measure of the robustness free AT trains for, without sampling. Printed and
 * written to {@code output.path}/eps-mse.json, holding {@code output.path}'s {@link RunLease}.
 */
public final class EpsMseJob implements Command {
    /** What one evaluation found. */
    public record Result(List<PerturbedErrorCell> rows, Path file) {}

    @Override
    public String summary() {
        return "held-out eps-MSE of run.dir's model under random and gradient input perturbations, per t-bin -> eps-mse.json";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        EpsMseSettings s = EpsMseSettings.fromConfig(config);
        return CheckpointOnDataset.once(config, session, s.evaluation(), spark -> {
            Result r = run(spark, s);
            System.out.print(PerturbedErrorCell.table(r.rows()));
            System.out.println("eps-mse: " + r.rows().size() + " cells -> " + r.file());
            return CommandResult.wrote("eps-mse", List.of(r.file()));
        });
    }

    /** Evaluates every cell and writes eps-mse.json; bad inputs are errors naming their keys, before any Spark work. */
    public static Result run(SparkSession spark, EpsMseSettings s) throws Exception {
        EvaluationSettings on = s.evaluation();
        CheckpointOnDataset target = CheckpointOnDataset.open(spark, on, "it predicts no noise");
        int[] edges = s.timestepBins();
        int timesteps = target.model().spec().timesteps();
        if (edges[edges.length - 1] > timesteps) {
            throw new IllegalArgumentException("eps-mse.t-bins ends at " + edges[edges.length - 1] + " but checkpoint "
                    + target.checkpoint() + " has " + timesteps + " timesteps");
        }
        RunningMeans sums = target.aggregate(spark, "perturbed denoising error", new PerturbedErrorStatistics(s));
        if (sums.count(0) == 0) {
            throw new IllegalArgumentException("data.path " + on.dataPath() + " has no images in eps-mse.split '" + on.split() + "'");
        }
        List<PerturbedErrorCell> rows = new ArrayList<>();
        for (int j = 0; j < s.bins(); j++) {
            for (int a = 0; a < s.attacks().size(); a++) {
                for (int r = 0; r < s.radii().length; r++) {
                    int cell = s.cell(j, a, r);
                    rows.add(new PerturbedErrorCell(edges[j], edges[j + 1], s.attacks().get(a).configName(), s.radii()[r],
                            sums.mean(cell), sums.standardError(cell), sums.count(cell)));
                }
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("rows", rows.stream().map(PerturbedErrorCell::json).toList());
        doc.put("target", "eps + delta / sqrt(1 - abar_t)");
        return new Result(rows, target.write(doc, Map.of()));
    }

    @Override
    public void readSettings(SettingsReader r) {
        EpsMseSettings.read(r);
        LeaseSettings.read(r);
        SparkSessions.readSettings(r);
    }
}
