package org.atdiff.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fills the folder named by SPARK_HOME (set by the build for tests) with a {@code jars/} of links to the jars on the
 * test classpath, which is what {@code local-cluster} masters launch executors from.
 */
public final class TestSparkHome {
    private TestSparkHome() {}

    public static synchronized void ensure() throws IOException {
        String home = System.getenv("SPARK_HOME");
        if (home == null) throw new IllegalStateException("SPARK_HOME is not set; the build sets it for tests");
        Path jars = Path.of(home, "jars");
        Files.createDirectories(jars);
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            if (!entry.endsWith(".jar") || !Files.isRegularFile(jar)) continue;
            Path link = jars.resolve(jar.getFileName());
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, jar.toAbsolutePath());
        }
    }
}
