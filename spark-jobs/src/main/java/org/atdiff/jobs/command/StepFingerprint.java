package org.atdiff.jobs.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ContentSummary;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atdiff.prep.PreparedDataset;

/**
 * What a step's output was made from: the settings that decide it and the identity of its inputs, with a SHA-256
 * over both. A step writes it beside its output when the output is complete ({@link #commit}: a folder's
 * {@value #FOLDER_FILE}, a file's {@code <name>}{@value #FILE_SUFFIX}); a later run of the step with the same
 * fingerprint finds it there and skips the work ({@link #alreadyDone}); one with another fingerprint is refused,
 * naming what differs, unless {@code output.overwrite = true}, which always recomputes.
 *
 * <p>An input's identity is the fingerprint of the step that wrote it, else a prepared dataset's content checksum
 * (manifest.json), else its path, size, file count and modification time. Settings that only change speed
 * (keys named {@code batch-size}, {@code threads} or {@code partitions}) are left out.
 */
public final class StepFingerprint {
    public static final String FOLDER_FILE = "_step.json";
    public static final String FILE_SUFFIX = ".step.json";
    private static final Set<String> SPEED_KEYS = Set.of("batch-size", "threads", "partitions");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String step;
    private final Map<String, String> parts;
    private final String hash;

    private StepFingerprint(String step, Map<String, String> parts) {
        this.step = step;
        this.parts = new TreeMap<>(parts);
        this.hash = sha256(this.parts);
    }

    /**
     * @param settings configuration paths (a block stands for every key under it) whose values decide the output
     * @param inputs   name -> path of each input, identified by {@link #identity}
     */
    public static StepFingerprint of(String step, Config config, List<String> settings, Map<String, String> inputs,
                                     Configuration hadoop) throws IOException {
        Map<String, String> parts = new TreeMap<>();
        for (String path : settings) {
            ConfigValue v = config.getValue(path);
            if (v.valueType() == ConfigValueType.OBJECT) {
                for (Map.Entry<String, ConfigValue> e : config.getConfig(path).entrySet()) {
                    String key = path + "." + e.getKey();
                    if (!SPEED_KEYS.contains(key.substring(key.lastIndexOf('.') + 1))) parts.put(key, render(e.getValue()));
                }
            } else {
                parts.put(path, render(v));
            }
        }
        for (Map.Entry<String, String> e : inputs.entrySet()) parts.put("input " + e.getKey(), identity(e.getValue(), hadoop));
        return new StepFingerprint(step, parts);
    }

    /** The fingerprint file of a folder output. */
    public static Path inFolder(Path folder) {
        return new Path(folder, FOLDER_FILE);
    }

    /** The fingerprint file of a file output. */
    public static Path beside(Path file) {
        return new Path(file.getParent(), file.getName() + FILE_SUFFIX);
    }

    public String hash() {
        return hash;
    }

    /**
     * True when {@code marker} holds this fingerprint (the output is complete for these settings and inputs), unless
     * {@code overwrite}: then the marker is deleted and the step rewrites its output. A marker of another fingerprint
     * without {@code overwrite} refuses the step, naming both fingerprints and the parts that differ. Without a
     * marker the step runs (and refuses an existing output itself unless {@code overwrite}).
     */
    public boolean alreadyDone(Path marker, String outputKey, Path output, boolean overwrite, Configuration hadoop)
            throws IOException {
        FileSystem fs = marker.getFileSystem(hadoop);
        Optional<JsonNode> old = read(fs, marker);
        if (old.isPresent() && overwrite) {
            fs.delete(marker, false);
            return false;
        }
        if (old.isPresent() && old.get().path("fingerprint").asText().equals(hash)) {
            System.out.printf("%s: skipped, %s %s already holds this step's output (fingerprint %s)%n", step,
                    outputKey, output, shortHash(hash));
            return true;
        }
        if (old.isPresent()) {
            throw new IllegalStateException(outputKey + " " + output + " holds the output of other settings or inputs"
                    + " (fingerprint " + shortHash(old.get().path("fingerprint").asText()) + ") than this " + step
                    + " (fingerprint " + shortHash(hash) + "): " + differences(old.get().path("parts"))
                    + "; set output.overwrite=true to replace it, or choose another " + outputKey);
        }
        return false;
    }

    /** Records the fingerprint beside the now complete output. */
    public void commit(Path marker, Configuration hadoop) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step).put("fingerprint", hash);
        ObjectNode p = n.putObject("parts");
        parts.forEach(p::put);
        FileSystem fs = marker.getFileSystem(hadoop);
        try (OutputStream out = fs.create(marker, true)) {
            out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        }
    }

    /** The parts that differ, as {@code key: was -> now}. */
    private String differences(JsonNode old) {
        Map<String, String> before = new TreeMap<>();
        old.fields().forEachRemaining(e -> before.put(e.getKey(), e.getValue().asText()));
        List<String> diff = new ArrayList<>();
        TreeMap<String, String> keys = new TreeMap<>(before);
        keys.putAll(parts);
        for (String k : keys.keySet()) {
            String was = before.getOrDefault(k, "(none)"), now = parts.getOrDefault(k, "(none)");
            if (!was.equals(now)) diff.add(k + ": " + was + " -> " + now);
        }
        return diff.isEmpty() ? "the same parts under another hash" : String.join(", ", diff);
    }

    /**
     * An input's identity: the fingerprint of the step that wrote it, a prepared dataset's checksum, or its path,
     * size, file count and modification time; {@code builtin:} inputs and absent paths are their path.
     */
    static String identity(String input, Configuration hadoop) throws IOException {
        if (input.isBlank() || input.startsWith("builtin:")) return input;
        Path p = new Path(input);
        FileSystem fs = p.getFileSystem(hadoop);
        if (!fs.exists(p)) return input + " (absent)";
        FileStatus st = fs.getFileStatus(p);
        Optional<JsonNode> step = read(fs, st.isDirectory() ? inFolder(p) : beside(p));
        if (step.isPresent()) return input + " (step " + step.get().path("fingerprint").asText() + ")";
        if (st.isDirectory() && PreparedDataset.isAt(input, hadoop)) {
            return input + " (dataset " + PreparedDataset.open(input, hadoop).manifest().checksum() + ")";
        }
        ContentSummary cs = fs.getContentSummary(p);
        return input + " (" + cs.getFileCount() + " files, " + cs.getLength() + " bytes, modified "
                + st.getModificationTime() + ")";
    }

    private static Optional<JsonNode> read(FileSystem fs, Path marker) throws IOException {
        if (!fs.exists(marker)) return Optional.empty();
        try (InputStream in = fs.open(marker)) {
            return Optional.of(JSON.readTree(in));
        }
    }

    private static String render(ConfigValue v) {
        return v.render(ConfigRenderOptions.concise());
    }

    private static String shortHash(String h) {
        return h.length() > 12 ? h.substring(0, 12) : h;
    }

    private static String sha256(Map<String, String> parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            parts.forEach((k, v) -> md.update((k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
