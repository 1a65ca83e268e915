package org.atdiff.jobs.command;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a command left: the files and folders it wrote (or found already written, {@code reused}), its scores by name
 * (e.g. {@code "ddim-nfe10 fd_classifier"}), and the last line of the run's {@code metrics.jsonl} (empty if none).
 * Returned by {@code org.atdiff.jobs.Atdiff.run(spark, command, overrides)}.
 */
public record CommandResult(String command, List<String> written, Map<String, Double> scores, String lastMetrics,
                            boolean reused) {
    public CommandResult {
        written = List.copyOf(written);
        scores = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scores));
    }

    /** A result naming what {@code command} wrote. */
    public static CommandResult wrote(String command, List<?> written) {
        return new CommandResult(command, written.stream().map(Object::toString).toList(), Map.of(), "", false);
    }

    public CommandResult withScores(Map<String, Double> scores) {
        return new CommandResult(command, written, scores, lastMetrics, reused);
    }

    public CommandResult withLastMetrics(String line) {
        return new CommandResult(command, written, scores, line == null ? "" : line, reused);
    }

    /** The same result, marked as found already written rather than computed now. */
    public CommandResult asReused() {
        return new CommandResult(command, written, scores, lastMetrics, true);
    }
}
