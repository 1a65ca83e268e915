package org.atdiff.jobs.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.train.StepMetrics;

/**
 * {@code metrics.jsonl} and {@code progress.json} of a run, kept by rank 0. Lines accumulate in memory and the file
 * is rewritten atomically at every checkpoint (and at the end), so after a failure it never holds steps beyond what a
 * resumed run recomputes; a resumed run starts from the lines up to its checkpoint's step.
 */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RunDirectory run;
    private final List<String> lines = new ArrayList<>();

    /** Keeps the existing lines whose step is at most {@code resumedStep} (all of them are dropped at step 0). */
    public MetricsLog(RunDirectory run, long resumedStep) throws IOException {
        this.run = run;
        for (String line : run.metricsLines()) {
            if (step(line) <= resumedStep) lines.add(line);
        }
    }

    /** The step of a metrics.jsonl line. */
    public static long step(String line) {
        try {
            return JSON.readTree(line).required("step").asLong();
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException("metrics.jsonl line is not a JSON object with a step: " + line, e);
        }
    }

    public static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + line, e);
        }
    }

    /** A line for {@code m}, with {@code extra} fields after the metrics (e.g. the engine check on a run's first line). */
    public void add(StepMetrics m, Map<String, Object> extra) {
        LinkedHashMap<String, Object> line = m.asMap();
        line.putAll(extra);
        lines.add(json(line));
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Rewrites metrics.jsonl with every line so far. */
    public void flush() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String l : lines) sb.append(l).append('\n');
        run.writeText("metrics.jsonl", sb.toString());
    }

    /**
     * Writes progress.json: the latest metrics plus the run's position, for the driver's progress line, and the engine
     * line of the worker that writes it.
     */
    public void progress(StepMetrics m, long totalSteps, double etaSeconds, int attempt, int workers, String engine)
            throws IOException {
        LinkedHashMap<String, Object> p = m.asMap();
        p.put("steps", totalSteps);
        p.put("eta_s", etaSeconds);
        p.put("attempt", attempt);
        p.put("workers", workers);
        p.put("engine", engine);
        run.writeText("progress.json", json(p));
    }

    static String json(Map<String, Object> map) {
        try {
            return JSON.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
