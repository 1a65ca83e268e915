package org.atdiff.jobs.bench;

import java.io.IOException;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * A bench-only Spark plugin that measures each executor's live heap: what the executor holds, not the garbage it has
 * yet to collect. Its executor side, every {@link #INTERVAL} (a Spark property the session sets), runs a full
 * collection ({@link System#gc()}) and reads the heap in use right after it ({@code MemoryMXBean}); it sends its
 * largest reading so far to the driver side, which keeps the maximum per executor for {@link #maxima} to read.
 * Enabled on a session with {@code spark.plugins} = this class's name. The collections pause the executor, so the
 * probe is for memory measurements, not for timings.
 */
public final class LiveHeapProbe implements SparkPlugin {
    /** The Spark property giving the probe interval (a Spark time string, e.g. {@code 2000ms}). */
    public static final String INTERVAL = "spark.atdiff.live-heap-probe.interval";
    private static final String INTERVAL_MS = "interval-ms";
    /** Application id -> executor id -> the largest live heap reported, with the number of probes. */
    private static final Map<String, Map<String, Reading>> BY_APPLICATION = new ConcurrentHashMap<>();

    /** One executor's largest live heap (bytes) over its {@code probes} probes so far. */
    public record Reading(long maxBytes, long probes) implements Serializable {
        Reading merge(Reading other) {
            return new Reading(Math.max(maxBytes, other.maxBytes), Math.max(probes, other.probes));
        }
    }

    /** The message an executor sends after each probe. */
    record Report(String executor, Reading reading) implements Serializable {}

    @Override
    public DriverPlugin driverPlugin() {
        return new DriverSide();
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorSide();
    }

    /**
     * The readings the executors of application {@code applicationId} have reported, by executor id (empty before the
     * first report); they stay readable after the session stops.
     */
    public static Map<String, Reading> maxima(String applicationId) {
        Map<String, Reading> m = BY_APPLICATION.get(applicationId);
        return m == null ? Map.of() : new TreeMap<>(m);
    }

    /**
     * Keeps the maxima; tells the executors the interval. A report can arrive before the application id is known (in
     * local mode the executor starts inside the SparkContext's construction), so the readings go to this plugin's own
     * map, published under the application id once Spark gives it ({@link #registerMetrics}).
     */
    static final class DriverSide implements DriverPlugin {
        private final Map<String, Reading> readings = new ConcurrentHashMap<>();

        @Override
        public Map<String, String> init(SparkContext sc, PluginContext context) {
            if (!sc.conf().contains(INTERVAL)) {
                throw new IllegalArgumentException(LiveHeapProbe.class.getName() + " needs the Spark property " + INTERVAL);
            }
            long ms = sc.conf().getTimeAsMs(INTERVAL);
            if (ms <= 0) throw new IllegalArgumentException(INTERVAL + " must be positive but is " + sc.conf().get(INTERVAL));
            return Map.of(INTERVAL_MS, Long.toString(ms));
        }

        @Override
        public void registerMetrics(String appId, PluginContext context) {
            BY_APPLICATION.put(appId, readings);
        }

        @Override
        public Object receive(Object message) {
            Report r = (Report) message;
            readings.merge(r.executor(), r.reading(), Reading::merge);
            return null;
        }
    }

    /** Probes on a daemon thread from the executor's start to its end. */
    static final class ExecutorSide implements ExecutorPlugin {
        private ScheduledExecutorService timer;

        @Override
        public void init(PluginContext context, Map<String, String> extraConf) {
            Duration interval = Duration.ofMillis(Long.parseLong(extraConf.get(INTERVAL_MS)));
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "live-heap-probe");
                t.setDaemon(true);
                return t;
            });
            long[] state = {0, 0}; // max bytes, probes: touched by the timer thread only
            timer.scheduleWithFixedDelay(() -> {
                System.gc();
                state[0] = Math.max(state[0], ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                state[1]++;
                try {
                    context.send(new Report(context.executorID(), new Reading(state[0], state[1])));
                } catch (IOException e) {
                    System.err.printf("live-heap-probe: could not report to the driver: %s%n", e);
                }
            }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void shutdown() {
            if (timer != null) timer.shutdownNow();
        }
    }
}
