package org.atdiff.jobs.robust;

import org.atdiff.jobs.ExistingOutput;
import org.atdiff.jobs.SparkSessions;
import org.atdiff.jobs.SettingsReader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.Command;
import org.atdiff.jobs.CommandResult;
import org.atdiff.jobs.CommandSession;
import org.atdiff.jobs.StepFingerprint;
import org.atdiff.jobs.sample.CheckpointOnDataset;
import org.atdiff.jobs.sample.SamplingModel;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunDirectory;
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
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What one evaluation found. */
    public record Result(List<PerturbedErrorCell> rows, Path file) {}

    @Override
    public String summary() {
        return "held-out eps-MSE of run.dir's model under random and gradient input perturbations, per t-bin -> eps-mse.json";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        EpsMseSettings s = EpsMseSettings.fromConfig(config);
        try (RunLease lease = RunLease.acquire("output.path", s.outputPath(), "eps-mse", LeaseSettings.fromConfig(config),
                new Configuration())) {
            Configuration hadoop = new Configuration();
            Path checkpoint = s.resolveCheckpoint(hadoop);
            StepFingerprint step = StepFingerprint.of("eps-mse", config, List.of("eps-mse"),
                    Map.of("checkpoint", checkpoint.toString(), "data.path", s.dataPath()), hadoop);
            Path marker = StepFingerprint.beside(s.resultPath());
            if (step.alreadyDone(marker, "output.path", s.resultPath(), s.overwrite(), hadoop)) {
                return CommandResult.wrote("eps-mse", List.of(s.resultPath())).asReused();
            }
            session.attach(lease);
            Result r = run(session.spark(), s);
            System.out.print(PerturbedErrorCell.table(r.rows()));
            System.out.println("eps-mse: " + r.rows().size() + " cells -> " + r.file());
            step.commit(marker, hadoop);
            return CommandResult.wrote("eps-mse", List.of(r.file()));
        }
    }

    /** Evaluates every cell and writes eps-mse.json; bad inputs are errors naming their keys, before any Spark work. */
    public static Result run(SparkSession spark, EpsMseSettings s) throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path out = s.resultPath();
        ExistingOutput.refuseUnlessOverwrite(out, s.overwrite(), hadoop);
        CheckpointOnDataset target = CheckpointOnDataset.open(spark, s.resolveCheckpoint(hadoop), s.ema(), s.dataPath(),
                s.split(), s.count(), "it predicts no noise");
        Path checkpoint = target.checkpoint();
        SamplingModel model = target.model();
        int[] edges = s.timestepBins();
        if (edges[edges.length - 1] > model.spec().timesteps()) {
            throw new IllegalArgumentException("eps-mse.t-bins ends at " + edges[edges.length - 1] + " but checkpoint "
                    + checkpoint + " has " + model.spec().timesteps() + " timesteps");
        }
        spark.sparkContext().setJobDescription("eps-mse: perturbed denoising error of " + checkpoint.getName() + " on "
                + s.dataPath() + " (split " + s.split() + ")");
        RunningMeans sums = PerturbedErrorStatistics.compute(spark, target.images(), model, s);
        if (sums.count(0) == 0) {
            throw new IllegalArgumentException("data.path " + s.dataPath() + " has no images in eps-mse.split '" + s.split() + "'");
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
        doc.put("checkpoint", checkpoint.toString());
        doc.put("step", model.step());
        doc.put("ema", s.ema());
        doc.put("data", s.dataPath());
        doc.put("split", s.split().configName());
        doc.put("seed", s.seed());
        byte[] bytes = JSON.writeValueAsBytes(doc);
        new RunDirectory(s.outputPath(), hadoop).writeAtomically(EpsMseSettings.RESULT_FILE, o -> o.write(bytes));
        return new Result(rows, out);
    }

    @Override
    public void readSettings(SettingsReader r) {
        EpsMseSettings.read(r);
        LeaseSettings.read(r);
        SparkSessions.readSettings(r);
    }
}
