package org.atdiff.jobs.command;

import com.typesafe.config.Config;

/**
 * A command of the launcher ({@code atdiff <command>}), run by {@code org.atdiff.jobs.Atdiff} from the command line or
 * a session.
 */
public interface Command {
    String summary();

    /** Runs the command, its Spark work in {@code session}; throws on failure. */
    CommandResult run(Config config, CommandSession session) throws Exception;

    /**
     * Reads and checks through {@code r} every key the command reads; {@code Atdiff} calls it before {@link #run}, so
     * a bad value fails before any work, and SettingsCoverageTest drives every command's on conf/application.conf to
     * show that every key has a reader and every reader a key.
     */
    void readSettings(SettingsReader r);

    /** A profile in {@code conf/} used when no {@code --conf} is given, or null for none. */
    default String defaultProfile() {
        return null;
    }

    /** The folder or file the command writes, which names its job group: {@code output.path} unless overridden. */
    default String target(Config config) {
        return config.getString("output.path");
    }
}
