package org.atdiff.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What the trainer needs from a prepared dataset's {@code manifest.json} (written by {@code prep}): the image shape
 * and the number of classes ({@code label_names}).
 */
public record DatasetShape(int height, int width, int channels, int classes) {
    public static final String MANIFEST = "manifest.json";

    /** Reads {@code <dataPath>/manifest.json}; a missing dataset or manifest is an error naming data.path. */
    public static DatasetShape read(String dataPath, Configuration conf) throws IOException {
        Path file = new Path(dataPath, MANIFEST);
        FileSystem fs = file.getFileSystem(conf);
        if (!fs.exists(new Path(dataPath))) {
            throw new IllegalArgumentException("data.path " + dataPath + " does not exist (run `atdiff prep` first)");
        }
        if (!fs.exists(file)) {
            throw new IllegalArgumentException("data.path " + dataPath + " is not a prepared dataset: no " + MANIFEST);
        }
        JsonNode n;
        try (InputStream in = fs.open(file)) {
            n = new ObjectMapper().readTree(in);
        }
        for (String k : new String[] {"height", "width", "channels"}) {
            if (!n.path(k).canConvertToInt() || n.path(k).asInt() < 1) {
                throw new IllegalArgumentException(file + ": '" + k + "' is missing or not a positive integer");
            }
        }
        return new DatasetShape(n.get("height").asInt(), n.get("width").asInt(), n.get("channels").asInt(),
                n.path("label_names").size());
    }

    public Path dataDir(String dataPath) {
        return new Path(dataPath, "data");
    }
}
