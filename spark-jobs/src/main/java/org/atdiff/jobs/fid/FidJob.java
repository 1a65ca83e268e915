package org.atdiff.jobs.fid;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.Atdiff;
import org.atdiff.jobs.SparkSessions;
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
    public void run(Config config, String master) throws Exception {
        FidSettings s = FidSettings.fromConfig(config);
        String out = config.getString("output.path");
        try (RunLease lease = RunLease.acquire("output.path", out, "fid", LeaseSettings.fromConfig(config),
                new Configuration())) {
            SparkSession spark = SparkSessions.open(config, master, "fid");
            try {
                lease.attach(spark.sparkContext());
                for (FidScoring.Result r : FidScoring.run(spark, s, config.getString("samples.path"),
                        config.getString("reference.path"), out, config.getBoolean("output.overwrite"))) {
                    System.out.printf("fid: %-24s %s = %.4f (%d images)%n", r.set(), r.scoreName(), r.score(), r.count());
                }
            } finally {
                spark.stop();
            }
        }
    }
}
