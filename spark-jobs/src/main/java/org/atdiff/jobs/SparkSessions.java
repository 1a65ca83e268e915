package org.atdiff.jobs;

import com.typesafe.config.Config;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.cluster.TorchSparkSession;

/**
 * The SparkSession of a command. The master is {@code --master} when given; under spark-submit (the
 * {@code spark.master} system property is set) the submitted master is kept; otherwise {@code spark.master}
 * from the configuration (an embedded local Spark by default). The application name is {@code spark.app-name}
 * plus the command, unless spark-submit named it. Commands that run libtorch on executors use {@link #openTorch}.
 */
public final class SparkSessions {
    private SparkSessions() {}

    public static SparkSession open(Config config, String master, String command) {
        SparkSession.Builder b = SparkSession.builder();
        if (master != null && !master.isBlank()) {
            b.master(master);
        } else if (System.getProperty("spark.master") == null) {
            b.master(config.getString("spark.master"));
        }
        if (System.getProperty("spark.app.name") == null) b.appName(config.getString("spark.app-name") + " " + command);
        return b.getOrCreate();
    }

    /**
     * As {@link #open}, through {@link TorchSparkSession} so that executors can run libtorch (Java 17 flags, JavaCPP
     * cache folder, {@code OMP_NUM_THREADS} = {@code engine.threads}, the application's jars).
     */
    public static SparkSession openTorch(Config config, String master, String command) {
        String m = master != null && !master.isBlank() ? master
                : System.getProperty("spark.master", config.getString("spark.master"));
        String name = System.getProperty("spark.app.name", config.getString("spark.app-name") + " " + command);
        return TorchSparkSession.builder(m, name, config.getInt("engine.threads")).getOrCreate();
    }
}
