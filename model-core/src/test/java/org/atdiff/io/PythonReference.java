package org.atdiff.io;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Python reference script with Debian's /usr/bin/python3; a test that needs a module it lacks (numpy,
 * scipy) is skipped, not failed.
 */
public final class PythonReference {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private PythonReference() {}

    /** Skips the calling test unless /usr/bin/python3 exists and imports every module named. */
    public static void assumeModules(String... modules) {
        assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON);
        for (String m : modules) {
            Result r = exec(List.of("-c", "import " + m));
            assumeTrue(r.exitCode == 0, PYTHON + " cannot import " + m);
        }
    }

    /** Runs {@code script} with the arguments and returns its standard output; fails the test on a non-zero exit. */
    public static String run(String script, String... args) {
        List<String> cmd = new ArrayList<>(List.of("-c", script));
        cmd.addAll(List.of(args));
        Result r = exec(cmd);
        if (r.exitCode != 0) fail("python exited " + r.exitCode + ":\n" + r.stderr);
        return r.stdout;
    }

    private record Result(int exitCode, String stdout, String stderr) {}

    private static Result exec(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(PYTHON.toString());
        cmd.addAll(args);
        try {
            Path err = Files.createTempFile("python", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
                p.getOutputStream().close();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(15, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    fail("python did not finish");
                }
                return new Result(p.exitValue(), out, Files.readString(err));
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Result(-1, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
