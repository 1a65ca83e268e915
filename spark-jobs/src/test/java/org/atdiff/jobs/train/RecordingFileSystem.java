package org.atdiff.jobs.train;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@value #SCHEME}, known only to a configuration that names it
 * ({@code fs.recorded.impl}); every instance records the thread that opened it and the value of {@value #KEY} in
 * the configuration it was given, so a test can tell which configuration the workers' file system calls used.
 */
public final class RecordingFileSystem extends RawLocalFileSystem {
    public static final String SCHEME = "recorded";
    public static final String KEY = "atdiff.test.marker";
    /** (thread name, marker) of every instance initialised in this JVM. */
    static final List<String[]> OPENED = new CopyOnWriteArrayList<>();

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public void initialize(URI uri, Configuration conf) throws IOException {
        super.initialize(uri, conf);
        OPENED.add(new String[] {Thread.currentThread().getName(), String.valueOf(conf.get(KEY))});
    }
}
