package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the sections of one bench run share: the settings, the PyTorch reference (null when it is not running), the
 * tables written so far, and figures a later section reads (matrix-product peaks, the plain fp32 step per preset).
 */
final class BenchContext {
    private final BenchSettings settings;
    private final Config config;
    private final PythonReference python;
    private final List<BenchTable> tables = new ArrayList<>();
    private final Map<String, Double> peaks = new HashMap<>(); // "atdiff fp32" -> GFLOP/s
    private final Map<String, Double> stepSeconds = new HashMap<>(); // preset -> median fp32 plain step (atdiff)

    BenchContext(BenchSettings settings, Config config, PythonReference python) {
        this.settings = settings;
        this.config = config;
        this.python = python;
    }

    BenchSettings settings() {
        return settings;
    }

    /** The whole configuration (a section that runs a job derives its settings from it). */
    Config config() {
        return config;
    }

    /** The PyTorch reference, or null. */
    PythonReference python() {
        return python;
    }

    /** A new table, kept for bench.json in the order the tables were made. */
    BenchTable table(String title, String... columns) {
        BenchTable t = new BenchTable(title, columns);
        tables.add(t);
        return t;
    }

    List<BenchTable> tables() {
        return tables;
    }

    void peak(String engineAndDtype, double gflops) {
        peaks.put(engineAndDtype, gflops);
    }

    /** The peak {@code peak} measured ("atdiff fp32", "atdiff bf16"), or null when it did not run. */
    Double peak(String engineAndDtype) {
        return peaks.get(engineAndDtype);
    }

    void plainStepSeconds(String preset, double seconds) {
        stepSeconds.put(preset, seconds);
    }

    /** The median plain fp32 training step of {@code preset} measured by {@code train}, or null. */
    Double plainStepSeconds(String preset) {
        return stepSeconds.get(preset);
    }

    /** value / reference, or null when either is missing. */
    static Double fraction(Double value, Double reference) {
        return value == null || reference == null ? null : value / reference;
    }

    static List<Double> doubles(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asDouble()));
        return out;
    }
}
