package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train, sample, stats, fid, nll and pipeline refuse a directory whose lease another command holds, before Spark starts. */
class LeasedCommandsTest {
    @TempDir
    static File dir;
    static File data;

    @BeforeAll
    static void dataset() throws Exception {
        System.setProperty("spark.ui.enabled", "false");
        data = new File(dir, "data");
        Atdiff.run(new String[] {"prep", "--master", "local[2]", "input.builtin-count=20", "image.size=8",
                "output.path=" + data});
    }

    private static void refused(File leased, String... args) throws Exception {
        try (RunLease holder = RunLease.acquire("run.dir", leased.toString(), "train",
                new LeaseSettings(false, Duration.ofMinutes(2)), new Configuration())) {
            String before = Files.readString(new File(leased, RunLease.FILE).toPath());
            RunLease.HeldException e = assertThrows(RunLease.HeldException.class, () -> Atdiff.run(args), args[0]);
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains("is in use by a starting application (atdiff train, pid "), e.getMessage());
            assertTrue(e.getMessage().contains("train.take-over-lease=true"), e.getMessage());
            assertEquals(before, Files.readString(new File(leased, RunLease.FILE).toPath()), "the holder's lease is untouched");
        }
    }

    @Test
    void everyWritingCommandRefusesALeasedDirectory() throws Exception {
        File run = new File(dir, "run");
        refused(run, "train", "--master", "local[2]", "data.path=" + data, "run.dir=" + run, "model.preset=tiny");
        File samples = new File(dir, "samples");
        refused(samples, "sample", "--master", "local[2]", "run.dir=" + run, "output.path=" + samples);
        File ref = new File(dir, "ref");
        refused(ref, "stats", "--master", "local[2]", "data.path=" + data, "output.path=" + new File(ref, "s.npz"));
        File fid = new File(dir, "fid");
        refused(fid, "fid", "--master", "local[2]", "samples.path=" + samples, "reference.path=" + data,
                "output.path=" + fid);
        File nll = new File(dir, "nll");
        refused(nll, "nll", "--master", "local[2]", "data.path=" + data, "run.dir=" + run, "output.path=" + nll);
        refused(run, "pipeline", "--master", "local[2]", "data.path=" + data, "run.dir=" + run);
    }
}
