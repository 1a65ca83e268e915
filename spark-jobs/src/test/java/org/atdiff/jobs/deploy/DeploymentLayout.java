package org.atdiff.jobs.deploy;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The test JVM's classpath split the way a cluster sees a deployment: a Spark distribution (Spark, Hadoop, Scala
 * and their dependencies, what a cluster provides) and the application, which is atdiff's classes packed into one
 * jar plus the dependencies the assembly jar bundles (libtorch with its natives, Typesafe Config).
 */
final class DeploymentLayout {
    /** Jars that belong to neither side: the YARN test cluster itself and the test framework. */
    private static final String[] TEST_ONLY = {"hadoop-client-minicluster", "junit-", "opentest4j", "apiguardian", "surefire"};
    /** Maven repository folders of the application's own dependencies (shipped with --jars). */
    private static final String[] APPLICATION = {"/org/bytedeco/", "/com/typesafe/config/", "/org/atdiff/"};

    final List<Path> distribution = new ArrayList<>();
    final List<Path> applicationDependencies = new ArrayList<>();
    final Path applicationJar;

    private DeploymentLayout(Path applicationJar) {
        this.applicationJar = applicationJar;
    }

    /** Splits this JVM's classpath; class folders (atdiff's modules and tests) are packed into {@code dir/atdiff-app.jar}. */
    static DeploymentLayout ofThisJvm(Path dir) throws IOException {
        DeploymentLayout layout = new DeploymentLayout(dir.resolve("atdiff-app.jar"));
        List<Path> classFolders = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            String unix = p.toString().replace(File.separatorChar, '/');
            if (Files.isDirectory(p)) {
                classFolders.add(p);
            } else if (!unix.endsWith(".jar") || !Files.isRegularFile(p) || containsAny(p.getFileName().toString(), TEST_ONLY)) {
                continue;
            } else if (containsAny(unix, APPLICATION)) {
                layout.applicationDependencies.add(p);
            } else {
                layout.distribution.add(p);
            }
        }
        pack(classFolders, layout.applicationJar);
        return layout;
    }

    /** A folder of links to the distribution's jars, as {@code $SPARK_HOME/jars} or {@code spark.yarn.jars}. */
    Path linkDistribution(Path folder) throws IOException {
        Files.createDirectories(folder);
        for (Path jar : distribution) {
            Path link = folder.resolve(jar.getFileName());
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, jar);
        }
        return folder;
    }

    String distributionClasspath() {
        return String.join(File.pathSeparator, distribution.stream().map(Path::toString).toList());
    }

    String applicationDependencyList() {
        return String.join(",", applicationDependencies.stream().map(Path::toString).toList());
    }

    private static boolean containsAny(String s, String[] parts) {
        for (String part : parts) if (s.contains(part)) return true;
        return false;
    }

    private static void pack(List<Path> folders, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (Path folder : folders) {
                try (Stream<Path> files = Files.walk(folder)) {
                    for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                        String name = folder.relativize(f).toString().replace(File.separatorChar, '/');
                        if (!seen.add(name)) continue;
                        out.putNextEntry(new JarEntry(name));
                        Files.copy(f, (OutputStream) out);
                        out.closeEntry();
                    }
                }
            }
        }
    }
}
