package org.atdiff.jobs.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.sample.TinyRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run-directory lease: refusal naming the holder, expiry, take-over (which cancels the old holder's Spark jobs),
 * release, and create-if-absent races.
 */
class RunLeaseTest {
    private static final LeaseSettings WAIT = new LeaseSettings(false, Duration.ofMinutes(2));
    private static final LeaseSettings TAKE_OVER = new LeaseSettings(true, Duration.ofMinutes(2));
    @TempDir
    File dir;

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        volatile Instant now = Instant.parse("2026-12-07T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private String run() {
        return new File(dir, "run").toString();
    }

    private File leaseFile() {
        return new File(run(), RunLease.FILE);
    }

    @Test
    void aSecondHolderIsRefusedInOneLineNamingTheHolderAndHowToTakeOver() throws Exception {
        try (RunLease first = RunLease.acquire("run.dir", run(), "train", WAIT, new Configuration())) {
            assertTrue(leaseFile().isFile());
            RunLease.HeldException e = assertThrows(RunLease.HeldException.class,
                    () -> RunLease.acquire("run.dir", run(), "sample", WAIT, new Configuration()));
            String msg = e.getMessage();
            assertFalse(msg.contains("\n"), msg);
            assertEquals(first.holder().token(), e.holder().token());
            for (String part : new String[] {"run.dir " + run(), "atdiff train", "pid " + ProcessHandle.current().pid(),
                    "on host " + first.holder().host(), "started " + first.holder().started(), RunLease.FILE,
                    "train.take-over-lease=true", "train.lease-timeout", "2m"}) {
                assertTrue(msg.contains(part), part + " missing in: " + msg);
            }
        }
        assertFalse(leaseFile().exists(), "released on close");
        RunLease.acquire("run.dir", run(), "train", WAIT, new Configuration()).close();
    }

    @Test
    void anExpiredLeaseIsTakenOverAndItsOldHolderFindsOutAtItsNextRenewal() throws Exception {
        ManualClock t0 = new ManualClock();
        RunLease old = RunLease.acquire("run.dir", run(), "train", WAIT, new Configuration(), t0); // renews every 30 s
        LeaseSettings fast = new LeaseSettings(false, Duration.ofMillis(400));
        ManualClock later = new ManualClock();
        later.now = t0.now.plusMillis(400);
        assertThrows(RunLease.HeldException.class,
                () -> RunLease.acquire("run.dir", run(), "train", fast, new Configuration(), later));
        later.now = t0.now.plusMillis(401);
        try (RunLease taker = RunLease.acquire("run.dir", run(), "train", fast, new Configuration(), later)) {
            assertNotEquals(old.holder().token(), taker.holder().token());
            assertTrue(Files.readString(leaseFile().toPath()).contains(taker.holder().token()));
            old.renew(); // the old holder wakes up (a driver that hung longer than the timeout)
            assertTrue(old.lostTo().orElseThrow().contains("pid " + ProcessHandle.current().pid()));
            IllegalStateException e = assertThrows(IllegalStateException.class, old::close);
            assertTrue(e.getMessage().contains("taken over"), e.getMessage());
            assertTrue(Files.readString(leaseFile().toPath()).contains(taker.holder().token()),
                    "neither the old holder's renewal nor its close touch the new lease");
        }
        assertFalse(leaseFile().exists());
    }

    @Test
    void takeOverTakesALiveLease() throws Exception {
        RunLease live = RunLease.acquire("run.dir", run(), "train", WAIT, new Configuration());
        try (RunLease taker = RunLease.acquire("run.dir", run(), "train", TAKE_OVER, new Configuration())) {
            assertTrue(Files.readString(leaseFile().toPath()).contains(taker.holder().token()));
            IllegalStateException e = assertThrows(IllegalStateException.class, live::close);
            assertTrue(e.getMessage().contains("taken over"), e.getMessage());
            assertTrue(Files.readString(leaseFile().toPath()).contains(taker.holder().token()));
        }
        assertFalse(leaseFile().exists());
    }

    @Test
    void aLostLeaseCancelsItsCommandsSparkJobsAndLeavesTheCallersSessionRunning() throws Exception {
        SparkSession spark = TinyRuns.spark();
        ExecutorService commandThread = Executors.newSingleThreadExecutor();
        try {
            CommandSession session = CommandSession.in(spark, AtdiffConfig.reference(), "sample", run());
            RunLease lease = RunLease.acquire("run.dir", run(), "sample", WAIT, new Configuration());
            lease.attach(session);
            Future<Long> job = commandThread.submit(() -> {
                session.spark(); // this thread's jobs join the command's job group
                return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(1, 2), 2)
                        .map(i -> {
                            Thread.sleep(120_000);
                            return i;
                        }).count();
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (spark.sparkContext().statusTracker().getJobIdsForGroup(session.jobGroup()).length == 0) {
                assertTrue(System.nanoTime() < deadline, "the command's job did not start");
                Thread.sleep(20);
            }
            try (RunLease taker = RunLease.acquire("run.dir", run(), "train", TAKE_OVER, new Configuration())) {
                lease.renew(); // finds the lease taken over: cancels the command's job group
                ExecutionException e = assertThrows(ExecutionException.class, () -> job.get(60, TimeUnit.SECONDS));
                assertTrue(String.valueOf(e.getCause().getMessage()).contains("cancelled"), e.getCause().toString());
                assertThrows(IllegalStateException.class, lease::close);
            }
            assertFalse(spark.sparkContext().isStopped(), "the caller's session was stopped");
            assertEquals(3, spark.range(3).count(), "the caller's session still runs jobs");
        } finally {
            commandThread.shutdownNow();
            spark.stop();
        }
    }

    @Test
    void theLeaseIsReleasedWhenTheCommandFails() throws Exception {
        assertThrows(ArithmeticException.class, () -> {
            try (RunLease lease = RunLease.acquire("run.dir", run(), "train", WAIT, new Configuration())) {
                assertTrue(leaseFile().isFile());
                throw new ArithmeticException("the run failed");
            }
        });
        assertFalse(leaseFile().exists());
        RunLease.acquire("run.dir", run(), "train", WAIT, new Configuration()).close();
    }

    @Test
    void renewalRewritesTheRenewalTimeAndKeepsTheStartTime() throws Exception {
        ManualClock clock = new ManualClock();
        Instant start = clock.now;
        LeaseSettings fast = new LeaseSettings(false, Duration.ofMillis(200));
        try (RunLease lease = RunLease.acquire("run.dir", run(), "train", fast, new Configuration(), clock)) {
            clock.now = start.plusSeconds(30);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!Files.readString(leaseFile().toPath()).contains(clock.now.toString()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            String text = Files.readString(leaseFile().toPath());
            assertTrue(text.contains("\"renewed\":\"" + clock.now + "\""), text);
            assertTrue(text.contains("\"started\":\"" + start + "\""), text);
            assertTrue(lease.lostTo().isEmpty());
        }
    }

    @Test
    void anUnreadableLeaseFileIsLiveUntilItsModificationTimeExpires() throws Exception {
        File lease = leaseFile();
        assertTrue(lease.getParentFile().mkdirs());
        Files.write(lease.toPath(), new byte[0]); // a holder killed between creating and writing it
        RunLease.HeldException e = assertThrows(RunLease.HeldException.class,
                () -> RunLease.acquire("run.dir", run(), "train", WAIT, new Configuration()));
        assertTrue(e.getMessage().contains("unknown holder"), e.getMessage());
        assertTrue(lease.setLastModified(System.currentTimeMillis() - Duration.ofMinutes(3).toMillis()));
        try (RunLease taken = RunLease.acquire("run.dir", run(), "train", WAIT, new Configuration())) {
            assertTrue(Files.readString(lease.toPath()).contains(taken.holder().token()));
        }
    }

    /** Threads racing for one lease: exactly one wins, every other is refused naming the winner. */
    private static void exactlyOneOfManyWins(String dir, Configuration hadoop) throws Exception {
        int n = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<RunLease>> tries = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Callable<RunLease> c = () -> {
                    start.await();
                    return RunLease.acquire("run.dir", dir, "train", WAIT, hadoop);
                };
                tries.add(pool.submit(c));
            }
            start.countDown();
            List<RunLease> won = new ArrayList<>();
            List<RunLease.HeldException> refused = new ArrayList<>();
            for (Future<RunLease> f : tries) {
                try {
                    won.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    refused.add(assertInstanceOf(RunLease.HeldException.class, e.getCause(), () -> e.getCause().toString()));
                }
            }
            assertEquals(1, won.size(), "winners");
            for (RunLease.HeldException e : refused) assertEquals(won.get(0).holder().token(), e.holder().token());
            won.get(0).close();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentAcquisitionsOnALocalDiskLetExactlyOneWin() throws Exception {
        for (int round = 0; round < 5; round++) exactlyOneOfManyWins(new File(dir, "r" + round).toString(), new Configuration());
    }

    @Test
    void concurrentAcquisitionsOnHdfsLetExactlyOneWin() throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(dir, "hdfs").getAbsolutePath());
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        try {
            hdfs.waitActive();
            String uri = hdfs.getFileSystem().getUri().toString();
            for (int round = 0; round < 2; round++) exactlyOneOfManyWins(uri + "/runs/r" + round, hdfs.getConfiguration(0));
            // and the lease round trip on HDFS: refusal naming the holder, release
            try (RunLease first = RunLease.acquire("run.dir", uri + "/runs/x", "train", WAIT, hdfs.getConfiguration(0))) {
                RunLease.HeldException e = assertThrows(RunLease.HeldException.class,
                        () -> RunLease.acquire("run.dir", uri + "/runs/x", "fid", WAIT, hdfs.getConfiguration(0)));
                assertEquals(first.holder().token(), e.holder().token());
            }
            assertFalse(hdfs.getFileSystem().exists(new org.apache.hadoop.fs.Path("/runs/x/" + RunLease.FILE)));
        } finally {
            hdfs.shutdown();
        }
    }
}
