package org.atdiff.prep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code <output.path>/manifest.json}: what a prepared dataset holds. Counts per label and split, the image
 * shape, per-channel pixel mean and standard deviation (0..255 scale), the number of rejected images, the
 * content checksum ({@link DatasetSummary#checksum()}) and the settings that made it.
 *
 * @param labels     images per label (-1 = unlabelled)
 * @param labelNames {@code labelNames.get(label)} names a label
 * @param split      images per split (train, test)
 * @param config     the resolved settings under their configuration paths
 */
public record Manifest(String format, String input, String inputFormat, long rows, long rejected, int shards,
        int height, int width, int channels, Map<Integer, Long> labels, List<String> labelNames, Map<String, Long> split,
        double[] pixelMean, double[] pixelStd, String checksum, Map<String, Object> config) {

    public static final String FILE_NAME = "manifest.json";
    public static final String FORMAT = "atdiff-dataset/1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static Manifest of(PrepSettings s, InputFormat format, List<String> labelNames, DatasetSummary summary, int shards) {
        return new Manifest(FORMAT, s.inputPath(), format.configName(), summary.rows(), summary.rejected(), shards,
                s.imageSize(), s.imageSize(), s.channels(), new TreeMap<>(summary.labels()), List.copyOf(labelNames),
                new TreeMap<>(summary.splits()), summary.mean(), summary.std(), summary.checksum(), s.asConfig());
    }

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", format);
        m.put("input", input);
        m.put("input_format", inputFormat);
        m.put("rows", rows);
        m.put("rejected", rejected);
        m.put("shards", shards);
        m.put("height", height);
        m.put("width", width);
        m.put("channels", channels);
        m.put("labels", labels);
        m.put("label_names", labelNames);
        m.put("split", split);
        m.put("pixel_mean", pixelMean);
        m.put("pixel_std", pixelStd);
        m.put("checksum", checksum);
        m.put("config", config);
        try {
            return JSON.writeValueAsString(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code <dataset>/manifest.json}. */
    public void write(Path dataset, Configuration conf) throws IOException {
        Path file = new Path(dataset, FILE_NAME);
        try (OutputStream out = file.getFileSystem(conf).create(file, false)) {
            out.write(toJson().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Reads the manifest of the prepared dataset at {@code dataset}; a missing one is an error naming the path. */
    public static Manifest read(String dataset, Configuration conf) throws IOException {
        Path file = new Path(dataset, FILE_NAME);
        FileSystem fs = file.getFileSystem(conf);
        if (!fs.exists(file)) throw new IllegalArgumentException(dataset + " is not a prepared dataset: no " + FILE_NAME);
        try (InputStream in = fs.open(file)) {
            return parse(JSON.readTree(in));
        }
    }

    static Manifest parse(JsonNode n) {
        Map<Integer, Long> labels = new TreeMap<>();
        n.get("labels").fields().forEachRemaining(e -> labels.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
        Map<String, Long> split = new TreeMap<>();
        n.get("split").fields().forEachRemaining(e -> split.put(e.getKey(), e.getValue().asLong()));
        List<String> names = new ArrayList<>();
        n.get("label_names").forEach(x -> names.add(x.asText()));
        Map<String, Object> config = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.get("config").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            config.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        }
        return new Manifest(n.get("format").asText(), n.get("input").asText(), n.get("input_format").asText(),
                n.get("rows").asLong(), n.get("rejected").asLong(), n.get("shards").asInt(), n.get("height").asInt(),
                n.get("width").asInt(), n.get("channels").asInt(), labels, names, split, doubles(n.get("pixel_mean")),
                doubles(n.get("pixel_std")), n.get("checksum").asText(), config);
    }

    private static double[] doubles(JsonNode array) {
        double[] d = new double[array.size()];
        for (int i = 0; i < d.length; i++) d[i] = array.get(i).asDouble();
        return d;
    }
}
