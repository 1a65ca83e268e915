package org.atdiff.jobs.command;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtdiffConfigTest {
    @TempDir
    File dir;

    @Test
    void overridesApplyWithTheReferenceTypes() {
        Config c = AtdiffConfig.load(null, List.of("train.steps=20", "run.dir=hdfs://nn:8020/runs/a",
                "sample.steps=[5,10]", "sample.es=true", "at.rho=0.05"));
        assertEquals(20, c.getInt("train.steps"));
        assertEquals("hdfs://nn:8020/runs/a", c.getString("run.dir"));
        assertEquals(List.of(5, 10), c.getIntList("sample.steps"));
        assertTrue(c.getBoolean("sample.es"));
        assertEquals(0.05, c.getDouble("at.rho"));
    }

    @Test
    void singleValueForAListBecomesAOneElementList() {
        assertEquals(List.of(20), AtdiffConfig.load(null, List.of("sample.steps=20")).getIntList("sample.steps"));
    }

    @Test
    void unknownPathIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AtdiffConfig.load(null, List.of("train.stepz=20")));
        assertTrue(e.getMessage().contains("train.stepz"), e.getMessage());
    }

    @Test
    void wrongTypeIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AtdiffConfig.load(null, List.of("train.steps=many")));
        assertTrue(e.getMessage().contains("train.steps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AtdiffConfig.load(null, List.of("sample.es=yes")));
        assertTrue(e.getMessage().contains("sample.es"), e.getMessage());
    }

    @Test
    void confFileIsCheckedForUnknownKeysAndTypes() throws Exception {
        File f = new File(dir, "p.conf");
        Files.writeString(f.toPath(), "train { steps = 5 }\nat.rh0 = 0.2\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AtdiffConfig.load(f, List.of()));
        assertTrue(e.getMessage().contains("at.rh0"), e.getMessage());
        Files.writeString(f.toPath(), "train { steps = \"five\" }\n");
        e = assertThrows(IllegalArgumentException.class, () -> AtdiffConfig.load(f, List.of()));
        assertTrue(e.getMessage().contains("train.steps"), e.getMessage());
        Files.writeString(f.toPath(), "train { steps = 5 }\n");
        assertEquals(7, AtdiffConfig.load(f, List.of("train.steps=7")).getInt("train.steps"));
        assertEquals(5, AtdiffConfig.load(f, List.of()).getInt("train.steps"));
    }

    @Test
    void sparkPropertiesPassThroughFromFileAndOverridesInEitherKeyForm() throws Exception {
        assertEquals(Map.of(), AtdiffConfig.sparkProperties(AtdiffConfig.load(null, List.of())));
        File f = new File(dir, "s.conf");
        Files.writeString(f.toPath(), "spark.conf { \"spark.executor.memory\" = 4g, spark.executor.cores = 2,"
                + " \"spark.dynamicAllocation.enabled\" = false }\n");
        Config c = AtdiffConfig.load(f, List.of("spark.conf.spark.executor.memory=8g", "spark.conf.\"spark.task.cpus\"=2"));
        assertEquals(Map.of("spark.executor.memory", "8g", "spark.executor.cores", "2", "spark.dynamicAllocation.enabled", "false",
                "spark.task.cpus", "2"), AtdiffConfig.sparkProperties(c));
    }

    @Test
    void sparkPropertiesMustBeScalarSparkKeysOtherThanMasterAndName() throws Exception {
        File f = new File(dir, "s.conf");
        for (String bad : new String[] {"spark.conf { \"executor.memory\" = 4g }", "spark.conf { \"spark.master\" = yarn }",
                "spark.conf { \"spark.jars\" = [a, b] }"}) {
            Files.writeString(f.toPath(), bad + "\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AtdiffConfig.load(f, List.of()), bad);
            assertTrue(e.getMessage().contains("spark.conf") && e.getMessage().contains(f.toString()), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AtdiffConfig.load(null, List.of("spark.conf.spark.app.name=x")));
        assertTrue(e.getMessage().contains("spark.app.name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AtdiffConfig.load(null, List.of("spark.conf=x")));
        assertTrue(e.getMessage().contains("spark.conf"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AtdiffConfig.load(null, List.of("spark.confx.a=1")));
        assertTrue(e.getMessage().contains("spark.confx.a"), e.getMessage());
    }
}
