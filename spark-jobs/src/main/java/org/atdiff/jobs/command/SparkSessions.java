package org.atdiff.jobs.command;

import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.jobs.cluster.TorchSparkSession;

/**
 * The SparkSession of a command, built by {@link TorchSparkSession} (executors that can run libtorch). The master
 * is {@code --master} when given; under spark-submit (the {@code spark.master} system property is set) the
 * submitted master is kept; otherwise {@code spark.master} from the configuration (an embedded local Spark by
 * default). The application name is {@code spark.app-name} plus the command, unless spark-submit named it. The
 * configuration's {@code spark.conf} properties apply where spark-submit did not set the same key. Before the session
 * starts, the driver checks its engine ({@link EngineSetup}) and the session passes {@code engine.conv-path} on to the
 * executors.
 */
public final class SparkSessions {
    private SparkSessions() {}

    public static SparkSession open(Config config, String master, String command) {
        Map<String, String> properties = new LinkedHashMap<>(AtdiffConfig.sparkProperties(config));
        properties.putAll(EngineSetup.configure(config, System.out));
        return TorchSparkSession.builder(master(config, master), config.getString("spark.app-name") + " " + command,
                config.getInt("engine.threads"), properties).getOrCreate();
    }

    /** Reads the keys {@link #open} reads ({@code spark.conf} aside: a passthrough block). */
    public static void readSettings(SettingsReader r) {
        r.string("spark.master");
        r.string("spark.app-name");
        r.atLeast("engine.threads", 0);
        r.string("engine.conv-path");
    }

    /**
     * Checks that a session built elsewhere (a notebook's) gives its executors the engine setting {@code executorEnv}
     * ({@link EngineSetup#configure}) asks for. In local mode the executors are this JVM, configured already.
     */
    static void requireEngine(SparkSession spark, Map<String, String> executorEnv) {
        SparkConf conf = spark.sparkContext().getConf();
        if (conf.get("spark.master", "local").startsWith("local")) return;
        executorEnv.forEach((key, value) -> {
            // unset: the executors take ConvolutionEngine's setting of a JVM no one configured
            String has = conf.get(key, key.endsWith(ConvolutionEngine.PATH_VARIABLE) ? ConvolutionEngine.AUTO : "");
            if (!has.equals(value)) {
                throw new IllegalArgumentException("engine.conv-path: this command asks for " + key + "=" + value
                        + " on the executors, but the Spark session gives them " + has + "; start the session with "
                        + "--conf " + key + "=" + value + " (or keep engine.conv-path at the session's setting)");
            }
        });
    }

    /** {@code --master} if given, else null under spark-submit (keep its master), else {@code spark.master}. */
    static String master(Config config, String master) {
        if (master != null && !master.isBlank()) return master;
        return System.getProperty("spark.master") != null ? null : config.getString("spark.master");
    }
}
