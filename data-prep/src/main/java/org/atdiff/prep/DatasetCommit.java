package org.atdiff.prep;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a dataset so that its destination is never half-overwritten: everything goes to a sibling staging
 * folder {@code _tmp-<name>-<uuid>} on the same file system, and {@link #commit()} renames it into place. An
 * existing destination is refused unless overwrite is set; then it is moved aside only once the new dataset is
 * complete, and deleted after the rename. {@link #close()} without a commit deletes the staging folder.
 */
final class DatasetCommit implements AutoCloseable {
    private final FileSystem fs;
    private final Path target;
    private final Path staging;
    private final boolean overwrite;
    private boolean committed;

    private DatasetCommit(FileSystem fs, Path target, boolean overwrite) {
        this.fs = fs;
        this.target = target;
        this.overwrite = overwrite;
        this.staging = new Path(target.getParent(), "_tmp-" + target.getName() + "-" + UUID.randomUUID());
    }

    /** Checks the destination (fails at once if it exists and overwrite is off) and names the staging folder. */
    static DatasetCommit begin(String outputPath, boolean overwrite, Configuration conf) throws IOException {
        Path p = new Path(outputPath);
        FileSystem fs = p.getFileSystem(conf);
        Path target = fs.makeQualified(p);
        if (target.getParent() == null) throw new IllegalArgumentException("output.path " + outputPath + " is a file system root");
        DatasetCommit c = new DatasetCommit(fs, target, overwrite);
        c.checkTarget();
        return c;
    }

    Path staging() {
        return staging;
    }

    Path target() {
        return target;
    }

    private void checkTarget() throws IOException {
        if (!overwrite && fs.exists(target)) {
            throw new IllegalStateException("output.path " + target + " already exists; set output.overwrite=true to replace it");
        }
    }

    /** Moves the staging folder to the destination, replacing an old dataset there only if overwrite is set. */
    void commit() throws IOException {
        checkTarget();
        fs.mkdirs(target.getParent());
        Path old = null;
        if (fs.exists(target)) {
            old = new Path(target.getParent(), "_old-" + target.getName() + "-" + UUID.randomUUID());
            if (!fs.rename(target, old)) throw new IOException("could not move " + target + " aside to " + old);
        }
        if (!fs.rename(staging, target)) {
            if (old != null) fs.rename(old, target);
            throw new IOException("could not rename " + staging + " to " + target);
        }
        committed = true;
        if (old != null) fs.delete(old, true);
    }

    @Override
    public void close() throws IOException {
        if (!committed) fs.delete(staging, true);
    }
}
