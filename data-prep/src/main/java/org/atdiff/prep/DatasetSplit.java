package org.atdiff.prep;

import org.atdiff.settings.SettingChecks;

/**
 * Which images of a prepared dataset a job reads: those whose {@code split} column is {@code train} or {@code test},
 * or all of them. The split values prep writes are {@link #TRAIN} and {@link #TEST}'s names.
 */
public enum DatasetSplit {
    TRAIN, TEST, ALL;

    /** The name in the configuration (train | test | all); for TRAIN and TEST also the value of the split column. */
    public String configName() {
        return SettingChecks.configName(this);
    }

    /** The split named {@code value}; anything else is an error naming {@code key} and the accepted names. */
    public static DatasetSplit parse(String value, String key) {
        return SettingChecks.choice(key, value, values(), DatasetSplit::configName);
    }

    @Override
    public String toString() {
        return configName();
    }
}
