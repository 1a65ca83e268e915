package org.atdiff.jobs.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
    @TempDir
    File dir;

    @Test
    void keepsTheNewestCheckpointsAndPointsLatestAtTheLast() throws Exception {
        RunDirectory run = new RunDirectory(dir.toURI().toString(), new Configuration());
        for (long s : new long[] {10, 20, 30, 40}) {
            run.writeCheckpoint(s, out -> out.write(("ckpt" + s).getBytes(StandardCharsets.UTF_8)), 2);
        }
        assertEquals(List.of(30L, 40L), run.checkpointSteps());
        assertEquals("step-00000040.safetensors", run.latestCheckpoint().orElseThrow().getName());
        assertEquals("ckpt40", run.read(run.latestCheckpoint().get(), in -> new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        String[] left = new File(dir, "checkpoints").list((d, n) -> n.contains(".tmp-"));
        assertEquals(0, left.length);
    }

    @Test
    void aFailedWriteLeavesThePreviousFileIntact() throws Exception {
        RunDirectory run = new RunDirectory(dir.toURI().toString(), new Configuration());
        run.writeText("metrics.jsonl", "{\"step\":1}\n");
        assertThrows(java.io.IOException.class, () -> run.writeAtomically("metrics.jsonl", out -> {
            out.write('x');
            throw new java.io.IOException("disk full");
        }));
        assertEquals(List.of("{\"step\":1}"), run.metricsLines());
    }

    @Test
    void emptyRunHasNoCheckpoint() throws Exception {
        assertTrue(new RunDirectory(new File(dir, "none").toURI().toString(), new Configuration()).latestCheckpoint().isEmpty());
    }
}
