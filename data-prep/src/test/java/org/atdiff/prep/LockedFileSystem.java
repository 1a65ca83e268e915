package org.atdiff.prep;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@code locked:}, where every file whose name starts with
 * {@code locked} lists normally but refuses to be opened, as a file without read permission does for a
 * non-root user (the tests may run as root, which reads any local file).
 */
public final class LockedFileSystem extends RawLocalFileSystem {
    static final String SCHEME = "locked";

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        if (f.getName().startsWith("locked")) throw new AccessDeniedException(f.toString(), null, "Permission denied");
        return super.open(f, bufferSize);
    }
}
