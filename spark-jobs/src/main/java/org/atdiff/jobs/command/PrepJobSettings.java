package org.atdiff.jobs.command;

import com.typesafe.config.Config;
import org.atdiff.prep.PrepSettings;

/** Maps the {@code input.*}, {@code image.*}, {@code split.*} and {@code output.*} keys to a {@link PrepSettings}. */
public final class PrepJobSettings {
    private PrepJobSettings() {}

    public static PrepSettings fromConfig(Config c) {
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static PrepSettings read(SettingsReader r) {
        return new PrepSettings(r.string("input.path"), r.string("input.format"), r.string("input.image-column"),
                r.string("input.label-column"), r.number("input.max-rejected-fraction"), r.integer("input.builtin-count"),
                r.longValue("input.builtin-seed"), r.integer("input.partitions"), r.integer("image.size"),
                r.integer("image.channels"), r.string("image.resize"), r.number("split.test-fraction"),
                r.longValue("split.seed"), r.string("output.path"), r.bool("output.overwrite"), r.integer("output.shards"));
    }
}
