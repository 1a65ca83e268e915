package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.command.PrepJobSettings;
import org.atdiff.prep.Manifest;
import org.atdiff.prep.PrepSettings;
import org.atdiff.prep.PreparedDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepJobTest {
    @TempDir
    File dir;

    @BeforeAll
    static void noUi() {
        System.setProperty("spark.ui.enabled", "false");
    }

    @Test
    void configurationMapsToSettings() {
        PrepSettings s = PrepJobSettings.fromConfig(AtdiffConfig.load(null, List.of("input.path=/data/cifar", "input.format=cifar10-bin",
                "image.size=28", "image.channels=1", "image.resize=bicubic", "split.test-fraction=0.2", "split.seed=4",
                "output.path=hdfs://nn/x", "output.overwrite=true", "output.shards=7", "input.max-rejected-fraction=0.5",
                "input.partitions=3", "input.builtin-seed=9")));
        assertEquals(new PrepSettings("/data/cifar", "cifar10-bin", "image", "label", 0.5, 6000, 9, 3, 28, 1, "bicubic", 0.2,
                4, "hdfs://nn/x", true, 7), s);
        assertEquals("builtin:shapes", PrepJobSettings.fromConfig(AtdiffConfig.reference()).inputPath());
    }

    @Test
    void badValuesFailNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrepJobSettings.fromConfig(AtdiffConfig.load(null, List.of("image.channels=2"))));
        assertTrue(e.getMessage().contains("image.channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PrepJobSettings.fromConfig(AtdiffConfig.load(null, List.of("input.format=tiff"))));
        assertTrue(e.getMessage().contains("input.format"), e.getMessage());
    }

    @Test
    void prepCommandWritesTheBuiltinDataset() throws Exception {
        File out = new File(dir, "data");
        Atdiff.run(new String[] {"prep", "--master", "local[2]", "input.builtin-count=30", "output.path=" + out});
        Manifest m = PreparedDataset.open(out.toString(), new Configuration()).manifest();
        assertEquals(30, m.rows());
        assertEquals(30L, m.split().values().stream().mapToLong(Long::longValue).sum());
        assertEquals("builtin:shapes", m.config().get("input.path"));
    }
}
