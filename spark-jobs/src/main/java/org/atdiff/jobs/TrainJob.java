package org.atdiff.jobs;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.jobs.train.DistributedTrainer;

/**
 * {@code atdiff train}: data-parallel training of the configured model on the dataset at {@code data.path}
 * ({@link DistributedTrainer}), resuming from {@code run.dir}'s latest checkpoint when there is one. Also a main for
 * {@code spark-submit --class org.atdiff.jobs.TrainJob}.
 */
public final class TrainJob implements Atdiff.Command {
    @Override
    public String summary() {
        return "train the model data-parallel on data.path (plain / ip / at), checkpoints and metrics in run.dir";
    }

    @Override
    public void run(Config config, String master) throws Exception {
        DistributedTrainer trainer = DistributedTrainer.prepare(config, new Configuration()); // fails before Spark starts
        SparkSession spark = TorchSparkSession.builder(master(config, master), config.getString("spark.app-name") + " train",
                config.getInt("engine.threads")).getOrCreate();
        try {
            trainer.run(spark, System.out);
        } finally {
            spark.stop();
        }
    }

    /** {@code --master}, else spark-submit's master, else {@code spark.master} (an embedded local Spark). */
    static String master(Config config, String master) {
        if (master != null && !master.isBlank()) return master;
        String submitted = System.getProperty("spark.master");
        return submitted != null ? submitted : config.getString("spark.master");
    }

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "train";
        System.arraycopy(args, 0, all, 1, args.length);
        Atdiff.main(all);
    }
}
