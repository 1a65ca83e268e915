package org.atdiff.prep;

import java.util.Arrays;
import java.util.List;

/**
 * Which images of a prepared dataset a job reads: those whose {@code split} column is {@code train} or {@code test},
 * or all of them. The split values prep writes are {@link #TRAIN} and {@link #TEST}'s names.
 */
public enum DatasetSplit {
    TRAIN("train"), TEST("test"), ALL("all");

    private final String configName;

    DatasetSplit(String configName) {
        this.configName = configName;
    }

    /** The name in the configuration (train | test | all); for TRAIN and TEST also the value of the split column. */
    public String configName() {
        return configName;
    }

    /** The names {@link #parse} accepts, in order. */
    public static List<String> names() {
        return Arrays.stream(values()).map(DatasetSplit::configName).toList();
    }

    /** The split named {@code value}; anything else is an error naming {@code key} and the accepted names. */
    public static DatasetSplit parse(String value, String key) {
        for (DatasetSplit s : values()) {
            if (s.configName.equals(value)) return s;
        }
        throw new IllegalArgumentException(key + " '" + value + "' is not one of " + String.join(", ", names()));
    }

    @Override
    public String toString() {
        return configName;
    }
}
