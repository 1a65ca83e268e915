package org.atdiff.jobs.train;

import java.util.Arrays;
import java.util.List;

/**
 * {@code train.data-placement}: how the training split reaches the workers (see {@link DistributedTrainer}).
 * {@code sharded}: before each epoch a shuffle routes every image to the worker that consumes it in that epoch, so a
 * worker holds about 1/W of the split; {@code replicated}: every worker holds the whole split for the whole run.
 */
public enum DataPlacement {
    SHARDED, REPLICATED;

    public static final List<String> NAMES = Arrays.stream(values()).map(DataPlacement::label).toList();

    public String label() {
        return name().toLowerCase();
    }

    public static DataPlacement named(String name) {
        for (DataPlacement p : values()) {
            if (p.label().equals(name)) return p;
        }
        throw new IllegalArgumentException("train.data-placement '" + name + "' is not one of " + String.join(", ", NAMES));
    }
}
