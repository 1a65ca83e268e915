package org.atdiff.jobs;

import com.typesafe.config.Config;
import org.apache.spark.sql.SparkSession;

/**
 * The SparkSession of a command. The master is {@code --master} when given; under spark-submit (the
 * {@code spark.master} system property is set) the submitted master is kept; otherwise {@code spark.master}
 * from the configuration (an embedded local Spark by default). The application name is {@code spark.app-name}
 * plus the command, unless spark-submit named it.
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
}
