package org.atdiff.jobs.fid;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.Atdiff;
import org.atdiff.jobs.CommandResult;
import org.atdiff.jobs.CommandSession;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;

/**
 * {@code atdiff fid}: scores every sample set under {@code samples.path} against {@code reference.path} (a prepared
 * dataset or an .npz) and writes {@code output.path}/fid.json and fid.png ({@link FidScoring}), holding
 * {@code output.path}'s {@link RunLease}.
 */
public final class FidJob implements Atdiff.Command {
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
            session.attach(lease);
            Map<String, Double> scores = new LinkedHashMap<>();
            for (FidScoring.Result r : FidScoring.run(session.spark(), s, config.getString("samples.path"),
                    config.getString("reference.path"), out, config.getBoolean("output.overwrite"))) {
                System.out.printf("fid: %-24s %s = %.4f (%d images)%n", r.set(), r.scoreName(), r.score(), r.count());
                scores.put(r.set() + " " + r.scoreName(), r.score());
            }
            return CommandResult.wrote("fid", List.of(new Path(out, FidScoring.RESULT_FILE))).withScores(scores);
        }
    }
}
