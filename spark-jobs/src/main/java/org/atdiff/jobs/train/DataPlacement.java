package org.atdiff.jobs.train;

import org.atdiff.settings.SettingChecks;

/**
 * {@code train.data-placement}: how the training split reaches the workers (see {@link DistributedTrainer}).
 * {@code sharded}: before each epoch a shuffle routes every image to the worker that consumes it in that epoch, so a
 * worker holds about 1/W of the split; {@code replicated}: every worker holds the whole split for the whole run.
 */
public enum DataPlacement {
    SHARDED, REPLICATED;

    public String label() {
        return SettingChecks.configName(this);
    }

    public static DataPlacement named(String name) {
        return SettingChecks.choice("train.data-placement", name, values(), DataPlacement::label);
    }
}
