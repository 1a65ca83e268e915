package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every profile in conf/ loads against the reference configuration (no unknown keys, no wrong types). */
class ProfilesTest {
    private static File conf(String name) {
        File f = new File("../conf", name);
        assertTrue(f.isFile(), "missing profile " + f);
        return f;
    }

    @Test
    void everyProfileLoads() {
        File[] profiles = new File("../conf").listFiles((d, n) -> n.endsWith(".conf") && !n.equals("application.conf"));
        assertNotNull(profiles);
        assertTrue(profiles.length >= 2);
        for (File p : profiles) {
            assertDoesNotThrow(() -> AtdiffConfig.load(p, List.of()), p.getName());
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
        assertEquals(3, c.getInt("at.steps"));
        assertEquals(0.1, c.getDouble("at.rho"));
        assertEquals(0.1, c.getDouble("at.alpha"));
    }
}
