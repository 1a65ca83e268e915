package org.atdiff.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spark-submit --master yarn} of atdiff to a real YARN (a MiniYARNCluster with one node), the way docs/deploy.md
 * describes it: Spark's jars come from {@code spark.yarn.jars}, the application is atdiff's classes plus
 * {@code --jars} with libtorch and its natives, and no master is set by atdiff itself.
 */
class YarnSubmitTest {
    @TempDir
    static Path dir;
    private static DeploymentLayout layout;
    private static Path sparkJars;
    private static MiniYarn yarn;

    @BeforeAll
    static void start() throws Exception {
        layout = DeploymentLayout.ofThisJvm(dir);
        sparkJars = layout.linkDistribution(dir.resolve("spark-jars"));
        yarn = new MiniYarn(dir, 6144, 4);
    }

    @AfterAll
    static void stop() {
        if (yarn != null) yarn.close();
    }

    /** Cluster mode: the driver runs in the application master's container; atdiff's main class and a real command. */
    @Test
    void prepOfTheBuiltinDatasetInClusterMode() throws Exception {
        Path out = dir.resolve("data");
        String log = submit("cluster", 1, "atdiff prep", "org.atdiff.jobs.Atdiff",
                List.of("prep", "input.builtin-count=40", "output.path=" + out.toUri()));
        assertTrue(Files.isRegularFile(out.resolve("manifest.json")), log);
        assertTrue(Files.readString(out.resolve("manifest.json")).contains("40"), log);
        assertSucceededOnYarn("atdiff prep", log);
    }

    /**
     * Client mode, two executors: libtorch loads in both executor containers and they all-reduce through Gloo in a
     * barrier stage. (Stands in for a tiny {@code train} until that command exists.)
     */
    @Test
    void barrierStageWithGlooOnTwoExecutorsInClientMode() throws Exception {
        Path result = dir.resolve("all-reduce.txt");
        String log = submit("client", 2, "atdiff all-reduce", AllReduceApp.class.getName(), List.of(result.toString()));
        List<String> lines = Files.readAllLines(result);
        assertEquals(2, lines.size(), log);
        String[] rank0 = lines.get(0).split(" "), rank1 = lines.get(1).split(" ");
        assertEquals("1.5", rank0[2], "mean of ranks + 1 on rank 0");
        assertEquals("1.5", rank1[2], "mean of ranks + 1 on rank 1");
        assertNotEquals(rank0[1], rank1[1], "both workers ran in the same executor JVM");
        assertSucceededOnYarn("atdiff all-reduce", log);
    }

    /** Runs spark-submit (org.apache.spark.deploy.SparkSubmit) to the cluster; returns its log after a zero exit. */
    private static String submit(String deployMode, int executors, String name, String mainClass, List<String> appArgs)
            throws Exception {
        String javaHome = System.getProperty("java.home");
        String cachedir = "-Dorg.bytedeco.javacpp.cachedir=" + JavaProcess.javacppCache();
        List<String> args = new ArrayList<>(List.of("--master", "yarn", "--deploy-mode", deployMode, "--name", name,
                "--class", mainClass, "--num-executors", Integer.toString(executors), "--executor-cores", "1", "--executor-memory", "1g",
                "--driver-memory", "1g",
                "--conf", "spark.yarn.jars=local:" + sparkJars + "/*",
                "--conf", "spark.yarn.am.memory=512m",
                "--conf", "spark.driver.extraJavaOptions=" + cachedir,
                "--conf", "spark.executor.extraJavaOptions=" + cachedir,
                "--conf", "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
                "--conf", "spark.executorEnv.JAVA_HOME=" + javaHome,
                "--conf", "spark.ui.enabled=false",
                "--jars", layout.applicationDependencyList(),
                layout.applicationJar.toString()));
        args.addAll(appArgs);
        Path log = Files.createDirectories(Path.of("target", "deploy-logs")).resolve("yarn-" + name.replace(' ', '-') + "-" + deployMode + ".log");
        try (JavaProcess submit = JavaProcess.start(yarn.confDir + File.pathSeparator + layout.distributionClasspath(),
                "org.apache.spark.deploy.SparkSubmit", args,
                Map.of("HADOOP_CONF_DIR", yarn.confDir.toString(), "YARN_CONF_DIR", yarn.confDir.toString()), log)) {
            int status = submit.waitFor(5);
            String tail = submit.tail();
            assertEquals(0, status, "spark-submit exit status\n" + tail);
            return tail;
        }
    }

    private static void assertSucceededOnYarn(String name, String log) throws Exception {
        try (YarnClient client = YarnClient.createYarnClient()) {
            client.init(new YarnConfiguration(yarn.configuration()));
            client.start();
            List<String> seen = new ArrayList<>();
            for (ApplicationReport app : client.getApplications()) {
                seen.add(app.getName() + " " + app.getFinalApplicationStatus());
                if (app.getName().equals(name) && app.getFinalApplicationStatus() == FinalApplicationStatus.SUCCEEDED) return;
            }
            throw new AssertionError("no succeeded YARN application named '" + name + "' among " + seen + "\n" + log);
        }
    }
}
