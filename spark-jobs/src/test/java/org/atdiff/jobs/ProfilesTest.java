package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.atdiff.jobs.command.AtdiffConfig;
import org.junit.jupiter.api.Test;

/** Every profile in conf/ and conf/experiments/ loads against the reference configuration (no unknown keys, no wrong types). */
class ProfilesTest {
    private static File conf(String name) {
        File f = new File("../conf", name);
        assertTrue(f.isFile(), "missing profile " + f);
        return f;
    }

    @Test
    void everyProfileLoads() throws IOException {
        List<Path> profiles;
        try (Stream<Path> files = Files.walk(Path.of("../conf"))) {
            profiles = files.filter(p -> p.toString().endsWith(".conf") && !p.endsWith("application.conf")).toList();
        }
        assertTrue(profiles.size() >= 4, profiles.toString());
        for (Path p : profiles) {
            assertDoesNotThrow(() -> AtdiffConfig.load(p.toFile(), List.of()), p.toString());
        }
    }

    @Test
    void cifar10ExperimentsAreTheFashionMnistExperimentsOnColourImages() {
        for (String experiment : List.of("at", "fair")) {
            Config fashion = AtdiffConfig.load(conf("experiments/fashion-mnist-" + experiment + ".conf"), List.of());
            Config cifar = AtdiffConfig.load(conf("experiments/cifar10-" + experiment + ".conf"), List.of());
            assertEquals(3, cifar.getInt("image.channels"), experiment);
            assertEquals("folder", cifar.getString("input.format"), experiment);
            for (String key : List.of("model", "train", "at", "ip", "sample", "fid", "image.size", "diffusion")) {
                assertEquals(fashion.getValue(key).unwrapped(), cifar.getValue(key).unwrapped(), experiment + ": " + key);
            }
            assertTrue(cifar.getString("data.path").contains("cifar10-" + experiment), experiment + ": its own data");
        }
    }

    @Test
    void cifar10ProfileHasThePapersSettings() {
        Config c = AtdiffConfig.load(conf("cifar10.conf"), List.of());
        assertEquals("cifar10-adm", c.getString("model.preset"));
        assertEquals("cosine", c.getString("diffusion.schedule"));
        assertEquals(1e-4, c.getDouble("train.lr"));
        assertEquals(128, c.getInt("train.batch-size") * c.getInt("train.workers"));
        assertEquals(0.9999, c.getDouble("train.ema-rate"));
        assertEquals(0.0, c.getDouble("train.grad-clip"), "the authors clip nothing");
        assertEquals("loss-second-moment", c.getString("train.timestep-sampler"));
        assertEquals(3, c.getInt("at.steps"));
        assertEquals(0.1, c.getDouble("at.rho"));
        assertEquals(0.1, c.getDouble("at.alpha"));
    }
}
