package org.atdiff.jobs.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The output folder of {@code compare}: files replaced whole, without .crc side files (the folder is often committed). */
final class ReportFolder {
    private final FileSystem fs;
    private final Path folder;

    ReportFolder(Path folder, Configuration hadoop) throws IOException {
        this.folder = folder;
        this.fs = folder.getFileSystem(hadoop);
        fs.setWriteChecksum(false);
        fs.mkdirs(folder);
    }

    void write(String name, byte[] bytes) throws IOException {
        try (OutputStream o = fs.create(new Path(folder, name), true)) {
            o.write(bytes);
        }
    }

    void write(String name, String text) throws IOException {
        write(name, text.getBytes(StandardCharsets.UTF_8));
    }
}
