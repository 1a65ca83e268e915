package org.atdiff.jobs.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.atdiff.jobs.cluster.TorchSparkSession;

/**
 * A JVM started by a deployment test (spark-submit, a standalone master or worker) with Spark's Java 17 flags and
 * JavaCPP's cache folder, its output going to a log file.
 */
public final class JavaProcess implements AutoCloseable {
    public final Path log;
    private final Process process;

    private JavaProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static JavaProcess start(String classpath, String mainClass, List<String> args, Map<String, String> env, Path log)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.addAll(List.of(TorchSparkSession.ADD_OPENS.split(" ")));
        cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + javacppCache());
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new JavaProcess(pb.start(), log);
    }

    /** The folder libtorch's natives unpack to: the tests' own (set by the build), so they are unpacked once. */
    static String javacppCache() {
        String dir = System.getProperty("org.bytedeco.javacpp.cachedir");
        return dir != null ? dir : System.getProperty("user.home") + File.separator + ".javacpp" + File.separator + "cache";
    }

    /** Waits for the exit; returns the exit status, or throws with the log's tail if it does not end in time. */
    public int waitFor(long minutes) throws Exception {
        if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
            close();
            throw new AssertionError(process.info().command().orElse("a JVM") + " did not end within " + minutes
                    + " minutes\n" + tail());
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines of the log, for assertion messages. */
    public String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** {@code kill -9}: SIGKILL, no shutdown hook runs; returns once the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }
    }
}
