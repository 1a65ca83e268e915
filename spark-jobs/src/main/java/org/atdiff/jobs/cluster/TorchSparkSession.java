package org.atdiff.jobs.cluster;

import org.atdiff.tensor.EngineThreads;
import org.atdiff.tensor.NativeAllocator;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * A {@link SparkSession} builder whose executors can run libtorch: the Java 17 {@code --add-opens} flags and
 * JavaCPP's native cache folder in {@code spark.executor.extraJavaOptions}, {@code OMP_NUM_THREADS} and the
 * driver's malloc tunables ({@link NativeAllocator}) in their environment, and the application's jars on their
 * classpath.
 *
 * <p>The master is the one given, or with {@code null} the one spark-submit passed in the {@code spark.master}
 * system property; the application name is kept when spark-submit set one. Extra Spark properties (the
 * configuration's {@code spark.conf} block) apply where spark-submit did not set the same key.
 *
 * <ul>
 *   <li>{@code local[n]}: the driver JVM is the executor; nothing to ship.</li>
 *   <li>{@code local-cluster[n,cores,memMB]}: n executor JVMs on this machine with this JVM's classpath and
 *       {@code memMB} of heap. Needs the environment variable {@code SPARK_HOME} naming a folder whose
 *       {@code jars/} holds Spark's jars.</li>
 *   <li>any other master: unless {@code spark.jars} is already set (spark-submit), ships the jars on this JVM's
 *       classpath that hold atdiff, bytedeco (libtorch and its natives) or Typesafe Config classes; turns dynamic
 *       allocation off, which barrier stages do not support.</li>
 * </ul>
 */
public final class TorchSparkSession {
    /** The flags Spark itself needs on Java 17. */
    public static final String ADD_OPENS = "--add-opens=java.base/java.lang=ALL-UNNAMED"
            + " --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED"
            + " --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED"
            + " --add-opens=java.base/sun.util.calendar=ALL-UNNAMED";
    private static final String CACHEDIR = "org.bytedeco.javacpp.cachedir";
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");
    private static final String[] SHIPPED_PACKAGES = {"org/atdiff/", "org/bytedeco/", "com/typesafe/config/"};

    private TorchSparkSession() {}

    /**
     * @param master         a Spark master URL, or null for the one spark-submit set
     * @param threadsPerTask libtorch threads per task, exported as OMP_NUM_THREADS (0 = spark.task.cpus, default 1)
     */
    public static SparkSession.Builder builder(String master, String appName, int threadsPerTask) {
        return builder(master, appName, threadsPerTask, Map.of());
    }

    /** @param properties Spark properties applied where spark-submit did not set them (before the settings above) */
    public static SparkSession.Builder builder(String master, String appName, int threadsPerTask, Map<String, String> properties) {
        return SparkSession.builder().config(conf(master, appName, threadsPerTask, properties));
    }

    public static SparkConf conf(String master, String appName, int threadsPerTask) {
        return conf(master, appName, threadsPerTask, Map.of());
    }

    /** The settings {@link #builder} applies, over those Spark reads from system properties (spark-submit's). */
    public static SparkConf conf(String master, String appName, int threadsPerTask, Map<String, String> properties) {
        if (master != null && master.isBlank()) throw new IllegalArgumentException("Spark master must not be empty");
        if (threadsPerTask < 0) throw new IllegalArgumentException("engine.threads must be >= 0 but is " + threadsPerTask);
        SparkConf conf = new SparkConf();
        properties.forEach((key, value) -> {
            if (!conf.contains(key)) conf.set(key, value);
        });
        if (master != null) conf.setMaster(master);
        if (!conf.contains("spark.master")) {
            throw new IllegalStateException("no Spark master: give --master, or run under spark-submit");
        }
        master = conf.get("spark.master");
        if (!conf.contains("spark.app.name")) conf.setAppName(appName);
        String javaOptions = (conf.get("spark.executor.extraJavaOptions", "") + " " + ADD_OPENS).trim();
        String cachedir = System.getProperty(CACHEDIR);
        if (cachedir != null && !javaOptions.contains(CACHEDIR)) javaOptions += " -D" + CACHEDIR + "=" + cachedir;
        conf.set("spark.executor.extraJavaOptions", javaOptions);
        int threads = EngineThreads.resolve(threadsPerTask, conf.getInt("spark.task.cpus", 1));
        conf.set("spark.executorEnv.OMP_NUM_THREADS", Integer.toString(threads));
        allocateLikeTheDriver(conf, NativeAllocator.tunables());

        Matcher cluster = LOCAL_CLUSTER.matcher(master.trim());
        if (cluster.matches()) {
            String sparkHome = System.getenv("SPARK_HOME");
            if (sparkHome == null || !new File(sparkHome, "jars").isDirectory()) {
                throw new IllegalStateException(master + " needs the environment variable SPARK_HOME naming a folder "
                        + "with Spark's jars in jars/ (SPARK_HOME=" + sparkHome + ")");
            }
            conf.set("spark.executor.memory", cluster.group(3) + "m");
            conf.set("spark.executor.extraClassPath", System.getProperty("java.class.path"));
            conf.set("spark.executorEnv.SPARK_SCALA_VERSION",
                    scala.util.Properties.versionNumberString().replaceAll("^(\\d+\\.\\d+).*", "$1"));
        } else if (!master.startsWith("local")) {
            // Barrier stages refuse to run under dynamic allocation.
            conf.set("spark.dynamicAllocation.enabled", "false");
            if (!conf.contains("spark.jars")) conf.set("spark.jars", String.join(",", applicationJars()));
        }
        return conf;
    }

    /**
     * Executors get the driver's malloc tunables {@code driverTunables} (null: none), unless {@code conf} sets them:
     * glibc reads them when a process starts.
     */
    static void allocateLikeTheDriver(SparkConf conf, String driverTunables) {
        String key = "spark.executorEnv." + NativeAllocator.VARIABLE;
        if (driverTunables != null && !conf.contains(key)) conf.set(key, driverTunables);
    }

    /** The jars on this JVM's classpath that hold atdiff, bytedeco or Typesafe Config packages. */
    static Set<String> applicationJars() {
        Set<String> jars = new LinkedHashSet<>();
        ClassLoader loader = TorchSparkSession.class.getClassLoader();
        try {
            for (String pkg : SHIPPED_PACKAGES) {
                Enumeration<URL> urls = loader.getResources(pkg);
                while (urls.hasMoreElements()) {
                    URL url = urls.nextElement();
                    if (url.getProtocol().equals("jar")) {
                        jars.add(((JarURLConnection) url.openConnection()).getJarFileURL().toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the application's jars", e);
        }
        return jars;
    }
}
