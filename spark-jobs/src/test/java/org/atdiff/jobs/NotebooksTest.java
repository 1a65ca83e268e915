package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notebooks in deploy/notebooks, executed: the JShell script with this module's test classpath, and the Python
 * notebook with jupyter nbconvert (skipped where jupyter-nbconvert and python3-ipykernel are not installed; CI
 * installs them) calling the launcher with ATDIFF_CLASSPATH set to the same classpath. Each prints its checks' lines.
 */
class NotebooksTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    File dir;

    private static String classpath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private static String run(ProcessBuilder pb, long minutes) throws Exception {
        pb.redirectErrorStream(true);
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        try (var lines = p.inputReader()) {
            String line;
            while ((line = lines.readLine()) != null) {
                System.out.println(line);
                out.append(line).append('\n');
            }
        }
        assertTrue(p.waitFor(minutes, TimeUnit.MINUTES), "timed out");
        assertEquals(0, p.exitValue(), "exit status; output:\n" + out);
        return out.toString();
    }

    @Test
    void jshellScriptRunsTwiceInOneSession() throws Exception {
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        assumeTrue(Files.isExecutable(jshell), "no jshell in " + System.getProperty("java.home"));
        List<String> cmd = new ArrayList<>(List.of(jshell.toString(), "--class-path", classpath()));
        for (String open : TorchSparkSession.ADD_OPENS.split(" ")) cmd.add("-R" + open);
        cmd.add("-R-Datdiff.notebook.dir=" + dir);
        cmd.add("-R-Dspark.ui.enabled=false");
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) cmd.add("-R-Dorg.bytedeco.javacpp.cachedir=" + cache);
        cmd.add(ROOT.resolve("deploy/notebooks/atdiff.jsh").toString());
        String out = run(new ProcessBuilder(cmd).directory(ROOT.toFile()), 10);
        assertTrue(out.contains("notebook: pass 1 ok") && out.contains("notebook: pass 2 ok"), out);
        assertTrue(out.contains("fid: skipped"), "the second pass skipped fid");
    }

    @Test
    void pythonNotebookRunsWithStreamedLauncherOutput() throws Exception {
        Path nbconvert = Path.of("/usr/bin/jupyter-nbconvert");
        assumeTrue(Files.isExecutable(nbconvert), "jupyter-nbconvert is not installed (apt-get install jupyter-nbconvert "
                + "python3-ipykernel)");
        ProcessBuilder pb = new ProcessBuilder(nbconvert.toString(), "--to", "notebook", "--execute",
                "--ExecutePreprocessor.timeout=600", "--output-dir", dir.toString(),
                ROOT.resolve("deploy/notebooks/atdiff_pyspark.ipynb").toString()).directory(ROOT.toFile());
        pb.environment().put("ATDIFF_CLASSPATH", classpath());
        pb.environment().put("ATDIFF_NOTEBOOK_DIR", dir.toString());
        pb.environment().put("ATDIFF_NOTEBOOK_TINY", "1");
        run(pb, 12);
        String executed = Files.readString(dir.toPath().resolve("atdiff_pyspark.ipynb"));
        assertTrue(executed.contains("notebook: pass 2 ok"), executed);
        assertTrue(executed.contains("fid: skipped"), "the second pass skipped fid");
    }
}
