package org.atdiff.jobs.command;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExistingOutputTest {
    @Test
    void anExistingOutputIsRefusedUnlessOverwrite(@TempDir Path dir) throws Exception {
        Configuration hadoop = new Configuration();
        org.apache.hadoop.fs.Path absent = new org.apache.hadoop.fs.Path(dir.resolve("absent").toUri());
        ExistingOutput.refuseUnlessOverwrite(absent, false, hadoop);
        Files.writeString(dir.resolve("present"), "x");
        org.apache.hadoop.fs.Path present = new org.apache.hadoop.fs.Path(dir.resolve("present").toUri());
        ExistingOutput.refuseUnlessOverwrite(present, true, hadoop);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ExistingOutput.refuseUnlessOverwrite(present, false, hadoop));
        assertTrue(e.getMessage().contains("output.overwrite=true") && e.getMessage().contains("present"), e.getMessage());
    }
}
