package org.atdiff.jobs.fid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.command.StepFingerprint;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;

/**
 * {@code atdiff fid}: scores every sample set under {@code samples.path} against {@code reference.path} (a prepared
 * dataset or an .npz) and writes {@code output.path}/fid.json and fid.png ({@link FidScoring}), holding
 * {@code output.path}'s {@link RunLease}.
 */
public final class FidJob implements Command {
    /** The scores of a fid.json by {@code "<set> <score name>"}. */
    private static Map<String, Double> scores(Path fidJson, Configuration hadoop) throws java.io.IOException {
        Map<String, Double> scores = new LinkedHashMap<>();
        try (var in = fidJson.getFileSystem(hadoop).open(fidJson)) {
            for (JsonNode r : new ObjectMapper().readTree(in).path("results")) {
                String name = r.has("fid") ? "fid" : "fd_classifier";
                scores.put(r.path("set").asText() + " " + name, r.path(name).asDouble());
            }
        }
        return scores;
    }

    @Override
    public String summary() {
        return "sample sets + reference (dataset or .npz) -> fid.json, fid.png";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        FidSettings s = FidSettings.fromConfig(config);
        String out = config.getString("output.path");
        try (RunLease lease = RunLease.acquire("output.path", out, "fid", LeaseSettings.fromConfig(config),
                new Configuration())) {
            Configuration hadoop = new Configuration();
            StepFingerprint step = StepFingerprint.of("fid", config, List.of("fid", "reference"), Map.of("samples.path",
                    config.getString("samples.path"), "reference.path", config.getString("reference.path")), hadoop);
            Path marker = StepFingerprint.inFolder(new Path(out));
            Path result = new Path(out, FidScoring.RESULT_FILE);
            if (step.alreadyDone(marker, "output.path", new Path(out), config.getBoolean("output.overwrite"), hadoop)) {
                return CommandResult.wrote("fid", List.of(result)).withScores(scores(result, hadoop)).asReused();
            }
            lease.attach(session);
            Map<String, Double> scores = new LinkedHashMap<>();
            for (FidScoring.Result r : FidScoring.run(session.spark(), s, config.getString("samples.path"),
                    config.getString("reference.path"), out, config.getBoolean("output.overwrite"))) {
                System.out.println("fid: " + r.line());
                scores.put(r.set() + " " + r.scoreName(), r.score());
            }
            step.commit(marker, hadoop);
            return CommandResult.wrote("fid", List.of(result)).withScores(scores);
        }
    }

    @Override
    public void readSettings(SettingsReader r) {
        FidSettings.read(r);
        LeaseSettings.read(r);
        r.nonEmpty("samples.path");
        r.nonEmpty("reference.path");
        r.nonEmpty("output.path");
        r.bool("output.overwrite");
        SparkSessions.readSettings(r);
    }
}
