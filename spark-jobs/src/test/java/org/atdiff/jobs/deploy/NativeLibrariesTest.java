package org.atdiff.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class NativeLibrariesTest {
    @Test
    void unpacksLibtorchGlooAndOpenBlasIntoTheConfiguredCache() throws Exception {
        File cache = NativeLibraries.unpack();
        assertEquals(new File(JavaProcess.javacppCache()).getCanonicalFile(), cache.getCanonicalFile());
        try (Stream<Path> files = Files.walk(cache.toPath())) {
            var names = files.map(p -> p.getFileName().toString()).toList();
            for (String lib : new String[] {"libtorch_cpu.so", "libjnitorch.so", "libjnitorch_gloo.so", "libopenblas.so.0"}) {
                assertTrue(names.contains(lib), lib + " in " + cache);
            }
        }
    }
}
