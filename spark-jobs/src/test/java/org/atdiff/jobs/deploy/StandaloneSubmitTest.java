package org.atdiff.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spark-submit --master spark://...} of atdiff to a standalone cluster started by the test: a master and two
 * workers, each its own JVM, launching executors from {@code $SPARK_HOME/jars} (Spark's jars only); the application
 * brings atdiff's classes and, with {@code --jars}, libtorch and its natives.
 */
class StandaloneSubmitTest {
    @TempDir
    static Path dir;
    private static DeploymentLayout layout;
    private static String master;
    private static final List<JavaProcess> daemons = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        layout = DeploymentLayout.ofThisJvm(dir);
        Path sparkHome = dir.resolve("spark");
        layout.linkDistribution(sparkHome.resolve("jars"));
        Map<String, String> env = Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.12");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        master = "spark://127.0.0.1:" + port;
        Path logs = Files.createDirectories(Path.of("target", "deploy-logs"));
        daemons.add(JavaProcess.start(layout.distributionClasspath(), "org.apache.spark.deploy.master.Master",
                List.of("--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port", "0"), env,
                logs.resolve("standalone-master.log")));
        for (int i = 0; i < 2; i++) {
            daemons.add(JavaProcess.start(layout.distributionClasspath(), "org.apache.spark.deploy.worker.Worker",
                    List.of("--cores", "1", "--memory", "1536m", "--webui-port", "0",
                            "--work-dir", dir.resolve("work-" + i).toString(), master),
                    env, logs.resolve("standalone-worker-" + i + ".log")));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (JavaProcess daemon : daemons) daemon.close();
    }

    /** Two executors, one per worker: libtorch loads in both and they all-reduce through Gloo in a barrier stage. */
    @Test
    void barrierStageWithGlooOnTwoWorkersInClientMode() throws Exception {
        Path result = dir.resolve("all-reduce.txt");
        String cachedir = "-Dorg.bytedeco.javacpp.cachedir=" + JavaProcess.javacppCache();
        List<String> args = List.of("--master", master, "--deploy-mode", "client", "--name", "atdiff all-reduce",
                "--class", AllReduceApp.class.getName(), "--total-executor-cores", "2", "--executor-cores", "1",
                "--executor-memory", "1g", "--driver-memory", "1g",
                "--conf", "spark.executor.extraJavaOptions=" + cachedir,
                "--conf", "spark.ui.enabled=false",
                "--jars", layout.applicationDependencyList(),
                layout.applicationJar.toString(), result.toString());
        Path log = Path.of("target", "deploy-logs", "standalone-all-reduce-client.log");
        try (JavaProcess submit = JavaProcess.start(layout.distributionClasspath(), "org.apache.spark.deploy.SparkSubmit",
                args, Map.of(), log)) {
            assertEquals(0, submit.waitFor(5), "spark-submit exit status\n" + submit.tail());
        }
        List<String> lines = Files.readAllLines(result);
        assertEquals(2, lines.size(), String.join("\n", lines));
        String[] rank0 = lines.get(0).split(" "), rank1 = lines.get(1).split(" ");
        assertEquals("1.5", rank0[2], "mean of ranks + 1 on rank 0");
        assertEquals("1.5", rank1[2], "mean of ranks + 1 on rank 1");
        assertNotEquals(rank0[1], rank1[1], "both workers ran in the same executor JVM");
    }
}
