package org.atdiff.jobs.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * The live-heap probe on a local session (the driver JVM is the executor): a task that holds a 384 MB array while
 * the probe runs raises the reported live heap by about that much; 1.5 GB of garbage made and dropped does not.
 */
class LiveHeapProbeTest {
    private static final int MB = 1 << 20, HELD = 384 * MB;

    @Test
    void reportsTheHeapAnExecutorHoldsAndNotItsGarbage() throws Exception {
        SparkSession spark = SparkSession.builder().master("local[1]").appName("LiveHeapProbeTest")
                .config("spark.ui.enabled", "false").config("spark.plugins", LiveHeapProbe.class.getName())
                .config(LiveHeapProbe.INTERVAL, "100ms").getOrCreate();
        try {
            String app = spark.sparkContext().applicationId();
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            long baseline = awaitProbes(app, 3).maxBytes();

            // garbage: 1.5 GB in 16 MB arrays, each dropped at once, made over more than a second of probes
            long probes = awaitProbes(app, 1).probes();
            jsc.parallelize(List.of(1), 1).foreach(x -> {
                long sum = 0;
                for (int i = 0; i < 96; i++) {
                    byte[] garbage = new byte[16 * MB];
                    garbage[i] = 1;
                    sum += garbage.length;
                    Thread.sleep(15);
                }
                if (sum == 0) throw new IllegalStateException();
            });
            LiveHeapProbe.Reading afterGarbage = awaitProbes(app, probes + 3);
            assertTrue(afterGarbage.maxBytes() < baseline + 64L * MB,
                    "garbage counted as live: " + afterGarbage.maxBytes() / MB + " MB after a baseline of " + baseline / MB + " MB");

            // held: a 384 MB array reachable until two more probes have reported (the task runs in this JVM)
            jsc.parallelize(List.of(1), 1).foreach(x -> {
                byte[] held = new byte[HELD];
                held[HELD - 1] = 1;
                long from = awaitProbes(app, 1).probes();
                awaitProbes(app, from + 2);
                java.lang.ref.Reference.reachabilityFence(held);
            });
            long afterHeld = awaitProbes(app, 1).maxBytes();
            assertTrue(afterHeld > HELD, "the live heap " + afterHeld / MB + " MB is below the 384 MB array a task held");
            assertTrue(afterHeld > afterGarbage.maxBytes() + HELD * 0.9,
                    "held array not seen: " + afterHeld / MB + " MB after " + afterGarbage.maxBytes() / MB + " MB");
        } finally {
            spark.stop();
        }
    }

    /** The driver's one reading (the local executor's) once at least {@code probes} probes have reported. */
    private static LiveHeapProbe.Reading awaitProbes(String app, long probes) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            Map<String, LiveHeapProbe.Reading> m = LiveHeapProbe.maxima(app);
            if (!m.isEmpty()) {
                assertEquals(1, m.size(), "one executor in local mode: " + m);
                LiveHeapProbe.Reading r = m.values().iterator().next();
                if (r.probes() >= probes) return r;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("fewer than " + probes + " probes reported in 30 s: " + LiveHeapProbe.maxima(app));
    }
}
