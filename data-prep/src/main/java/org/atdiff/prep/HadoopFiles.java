package org.atdiff.prep;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;

/** Opening Hadoop files from tasks: at a byte offset, transparently gunzipping gzip files (detected by magic). */
final class HadoopFiles {
    private HadoopFiles() {}

    /** Whether the file starts with the gzip magic bytes 1f 8b. */
    static boolean isGzip(Path path, Configuration conf) throws IOException {
        try (FSDataInputStream in = path.getFileSystem(conf).open(path)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    /** A stream positioned at {@code offset} of the (decompressed) content; seeks when raw, skips when gzipped. */
    static InputStream openAt(Path path, Configuration conf, long offset) throws IOException {
        boolean gzip = isGzip(path, conf);
        FSDataInputStream raw = path.getFileSystem(conf).open(path);
        try {
            if (!gzip) {
                raw.seek(offset);
                return new BufferedInputStream(raw, 1 << 16);
            }
            InputStream in = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
            in.skipNBytes(offset);
            return in;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** The whole file. */
    static byte[] readAll(Path path, Configuration conf) throws IOException {
        try (FSDataInputStream in = path.getFileSystem(conf).open(path)) {
            return in.readAllBytes();
        }
    }
}
