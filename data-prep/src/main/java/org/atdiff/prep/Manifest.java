package org.atdiff.prep;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atdiff.io.MalformedFileException;

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

    /** Reads the manifest of the prepared dataset at {@code dataset} ({@link PreparedDataset#open} checks it exists). */
    static Manifest read(String dataset, Configuration conf) throws IOException {
        Path file = new Path(dataset, FILE_NAME);
        FileSystem fs = file.getFileSystem(conf);
        if (!fs.exists(file)) throw new IllegalArgumentException(dataset + " is not a prepared dataset: no " + FILE_NAME);
        try (InputStream in = fs.open(file)) {
            return parse(in.readAllBytes(), file.toString());
        }
    }

    /**
     * Parses a manifest's JSON; {@code source} names the file. Every field is required with its type (a label is an
     * integer); anything else is a {@link MalformedFileException} naming the file and the field.
     */
    static Manifest parse(byte[] json, String source) throws MalformedFileException {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new MalformedFileException(source, "not JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MalformedFileException(source, "not JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) throw new MalformedFileException(source, "not a JSON object");
        String format = text(n, "format", source);
        if (!format.equals(FORMAT)) {
            throw new MalformedFileException(source, "a manifest of format '" + format + "', not " + FORMAT
                    + ": not a prepared dataset this version of atdiff reads");
        }
        Map<Integer, Long> labels = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = field(n, "labels", JsonNode::isObject, "an object", source).fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int label;
            try {
                label = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw new MalformedFileException(source, "field labels: key '" + e.getKey() + "' is not an integer label");
            }
            labels.put(label, count(e.getValue(), "labels." + e.getKey(), source));
        }
        Map<String, Long> split = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = field(n, "split", JsonNode::isObject, "an object", source).fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            split.put(e.getKey(), count(e.getValue(), "split." + e.getKey(), source));
        }
        List<String> names = new ArrayList<>();
        for (JsonNode x : field(n, "label_names", JsonNode::isArray, "an array", source)) {
            if (!x.isTextual()) throw new MalformedFileException(source, "field label_names holds a non-string: " + x);
            names.add(x.asText());
        }
        Map<String, Object> config = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = field(n, "config", JsonNode::isObject, "an object", source).fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            config.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        }
        return new Manifest(format, text(n, "input", source), text(n, "input_format", source),
                count(n.get("rows"), "rows", source), count(n.get("rejected"), "rejected", source),
                size(n, "shards", source), size(n, "height", source), size(n, "width", source), size(n, "channels", source),
                labels, names, split, doubles(n, "pixel_mean", source), doubles(n, "pixel_std", source),
                text(n, "checksum", source), config);
    }

    private static JsonNode field(JsonNode n, String name, Predicate<JsonNode> ok, String want,
            String source) throws MalformedFileException {
        JsonNode v = n.get(name);
        if (v == null) throw new MalformedFileException(source, "field " + name + " is missing");
        if (!ok.test(v)) throw new MalformedFileException(source, "field " + name + " is not " + want);
        return v;
    }

    private static String text(JsonNode n, String name, String source) throws MalformedFileException {
        return field(n, name, JsonNode::isTextual, "a string", source).asText();
    }

    /** A count: a non-negative integer that fits a long. */
    private static long count(JsonNode v, String name, String source) throws MalformedFileException {
        if (v == null) throw new MalformedFileException(source, "field " + name + " is missing");
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new MalformedFileException(source, "field " + name + " is not a non-negative integer");
        }
        return v.asLong();
    }

    /** A size: a non-negative integer that fits an int. */
    private static int size(JsonNode n, String name, String source) throws MalformedFileException {
        JsonNode v = field(n, name, JsonNode::canConvertToInt, "an integer", source);
        if (!v.isIntegralNumber() || v.asInt() < 0) {
            throw new MalformedFileException(source, "field " + name + " is not a non-negative integer");
        }
        return v.asInt();
    }

    private static double[] doubles(JsonNode n, String name, String source) throws MalformedFileException {
        JsonNode array = field(n, name, JsonNode::isArray, "an array", source);
        double[] d = new double[array.size()];
        for (int i = 0; i < d.length; i++) {
            if (!array.get(i).isNumber()) throw new MalformedFileException(source, "field " + name + " holds a non-number");
            d[i] = array.get(i).asDouble();
        }
        return d;
    }
}
