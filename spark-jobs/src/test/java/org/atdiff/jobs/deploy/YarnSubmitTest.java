package org.atdiff.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
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
 * {@code --jars} with libtorch and its natives, and no master is set by atdiff itself. Change the submitted
 * commands in the one test below; {@link #submit} takes any main class and arguments.
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

    /**
     * atdiff's main class and real commands: {@code prep} of the builtin dataset in cluster mode (the driver runs in
     * the application master's container), then a tiny adversarial {@code train} on it in client mode with two
     * executors: one worker per executor, libtorch loaded in both containers, gradients all-reduced through Gloo in a
     * barrier stage, checkpoints written.
     */
    @Test
    void prepInClusterModeThenTrainOnTwoExecutorsInClientMode() throws Exception {
        Path data = dir.resolve("data"), run = dir.resolve("run");
        String log = submit("cluster", 1, "atdiff prep", "org.atdiff.jobs.Atdiff",
                List.of("prep", "input.builtin-count=48", "image.size=8", "output.path=" + data.toUri()));
        assertTrue(Files.isRegularFile(data.resolve("manifest.json")), log);
        assertSucceededOnYarn("atdiff prep", log);

        log = submit("client", 2, "atdiff train", "org.atdiff.jobs.Atdiff", List.of("train",
                "data.path=" + data.toUri(), "run.dir=" + run.toUri(), "model.preset=tiny", "diffusion.timesteps=100",
                "train.objective=at", "at.steps=2", "train.workers=0", "train.batch-size=4", "train.steps=4",
                "train.checkpoint-every=2", "train.log-every=1", "engine.threads=1", "train.collective-timeout=120s"));
        assertEquals("step-00000004.safetensors", Files.readString(run.resolve("checkpoints/latest")).trim(), log);
        assertEquals(4, Files.readAllLines(run.resolve("metrics.jsonl")).size(), log);
        assertEquals(2, new ObjectMapper().readTree(run.resolve("progress.json").toFile()).get("workers").asInt(),
                "train.workers = 0: one worker per executor");
        assertSucceededOnYarn("atdiff train", log);
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
