package org.atdiff.jobs.command;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** The rule for what a command would write where something already is: refused unless {@code output.overwrite}. */
public final class ExistingOutput {
    private ExistingOutput() {}

    /** Throws when {@code path} exists and {@code overwrite} is false, naming the path and the key that allows it. */
    public static void refuseUnlessOverwrite(Path path, boolean overwrite, Configuration hadoop) throws IOException {
        if (!overwrite && path.getFileSystem(hadoop).exists(path)) {
            throw new IllegalStateException("output.path " + path + " already exists; set output.overwrite=true to "
                    + "replace it");
        }
    }
}
