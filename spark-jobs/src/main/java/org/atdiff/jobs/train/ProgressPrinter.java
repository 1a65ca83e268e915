package org.atdiff.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver thread that polls the run's {@code progress.json} (written by rank 0 every log step) and prints a line
 * whenever the step changes: {@code train: step 120/1000  loss 0.0812  412 img/s  ETA 3m12s}, and, before the first
 * and whenever it changes, the engine line of the worker that writes it. Every line also goes to the Spark log (logger
 * {@value #LOGGER}, INFO: the driver's log file under spark-submit, e.g. the application master's container log in
 * YARN cluster mode), and the values to the metrics {@link TrainProgressSource}. Closing it prints the last state it
 * has not printed yet.
 */
public final class ProgressPrinter implements AutoCloseable {
    /** The logger of the progress lines (off in the launcher's own console configuration, which prints them already). */
    public static final String LOGGER = "org.atdiff.progress";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private final RunDirectory run;
    private final PrintStream out;
    private final TrainProgressSource metrics;
    private final Thread thread;
    private long printed = -1;
    private String engine = "";

    private ProgressPrinter(RunDirectory run, PrintStream out, Duration every, TrainProgressSource metrics) {
        this.run = run;
        this.out = out;
        this.metrics = metrics;
        this.thread = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(every.toMillis());
                    poll();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "atdiff-train-progress");
        thread.setDaemon(true);
    }

    /** Starts polling (progress left by an earlier run is not printed); the values also go to {@code metrics}. */
    public static ProgressPrinter start(RunDirectory run, PrintStream out, Duration every, TrainProgressSource metrics)
            throws IOException {
        ProgressPrinter p = new ProgressPrinter(run, out, every, metrics);
        p.printed = p.read().map(n -> n.path("step").asLong()).orElse(-1L);
        p.thread.start();
        return p;
    }

    private Optional<JsonNode> read() {
        try {
            return run.readText("progress.json").filter(t -> !t.isBlank()).map(MetricsLog::parse);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty(); // being replaced or not there yet: try again at the next poll
        }
    }

    synchronized void poll() {
        Optional<JsonNode> p = read();
        if (p.isEmpty() || p.get().path("step").asLong() == printed) return;
        JsonNode n = p.get();
        printed = n.path("step").asLong();
        String workerEngine = n.path("engine").asText("");
        if (!workerEngine.isEmpty() && !workerEngine.equals(engine)) { // once, and again if a relaunch runs elsewhere
            engine = workerEngine;
            print("train: worker 0 " + workerEngine);
        }
        metrics.update(n);
        print(line(n));
    }

    private void print(String line) {
        out.println(line);
        LOG.info(line);
    }

    /** The progress line for a progress.json object. */
    static String line(JsonNode n) {
        StringBuilder sb = new StringBuilder(String.format("train: step %d/%d  loss %.4f  grad %.3g  lr %.3g",
                n.path("step").asLong(), n.path("steps").asLong(), n.path("loss").asDouble(),
                n.path("grad_norm").asDouble(), n.path("lr").asDouble()));
        if (n.has("delta_norm")) sb.append(String.format("  delta %.3g", n.path("delta_norm").asDouble()));
        sb.append(String.format("  %.1f img/s  ETA %s", n.path("images_per_sec").asDouble(),
                duration(n.path("eta_s").asDouble())));
        if (n.path("attempt").asInt(1) > 1) sb.append("  (attempt ").append(n.path("attempt").asInt()).append(')');
        return sb.toString();
    }

    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        if (s >= 3600) return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        if (s >= 60) return String.format("%dm%02ds", s / 60, s % 60);
        return s + "s";
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join();
        poll();
    }
}
