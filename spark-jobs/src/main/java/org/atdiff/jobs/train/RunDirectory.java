package org.atdiff.jobs.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The layout of a training run on any Hadoop file system: {@code checkpoints/step-XXXXXXXX.safetensors},
 * a {@code checkpoints/latest} pointer, {@code metrics.jsonl}, {@code progress.json} and {@code config.conf}.
 * Every file is written under a temporary name and renamed into place, so a reader never sees half a file.
 */
public final class RunDirectory {
    private static final Pattern CHECKPOINT = Pattern.compile("step-(\\d{8})\\.safetensors");

    /** Writes the content of a file to a stream. */
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Reads a file from a stream. */
    public interface Reader<T> {
        T read(InputStream in) throws IOException;
    }

    private final Path root;
    private final FileSystem fs;

    public RunDirectory(String dir, Configuration hadoopConf) throws IOException {
        this.root = new Path(dir);
        this.fs = root.getFileSystem(hadoopConf);
    }

    public Path root() {
        return root;
    }

    /** The Hadoop configuration this directory's file system was opened with (the session's on every worker). */
    public Configuration hadoop() {
        return fs.getConf();
    }

    public Path checkpointsDir() {
        return new Path(root, "checkpoints");
    }

    public static String checkpointName(long step) {
        return String.format("step-%08d.safetensors", step);
    }

    /** Writes {@code rel} (relative to the run directory) atomically: a temporary file, then a rename. */
    public void writeAtomically(String rel, Writer writer) throws IOException {
        Path target = new Path(root, rel);
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + System.nanoTime());
        fs.mkdirs(target.getParent());
        try (OutputStream out = fs.create(tmp, true)) {
            writer.write(out);
        } catch (IOException | RuntimeException e) {
            fs.delete(tmp, false);
            throw e;
        }
        if (fs.exists(target) && !fs.delete(target, false)) {
            throw new IOException("cannot replace " + target);
        }
        if (!fs.rename(tmp, target)) {
            fs.delete(tmp, false);
            throw new IOException("cannot rename " + tmp + " to " + target);
        }
    }

    public void writeText(String rel, String text) throws IOException {
        writeAtomically(rel, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    public Optional<String> readText(String rel) throws IOException {
        Path p = new Path(root, rel);
        if (!fs.exists(p)) return Optional.empty();
        try (FSDataInputStream in = fs.open(p)) {
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /**
     * Writes a checkpoint, points {@code checkpoints/latest} at it, and deletes all but the newest {@code keep}.
     */
    public void writeCheckpoint(long step, Writer writer, int keep) throws IOException {
        String name = checkpointName(step);
        writeAtomically("checkpoints/" + name, writer);
        writeText("checkpoints/latest", name + "\n");
        List<Long> steps = checkpointSteps();
        for (int i = 0; i < steps.size() - Math.max(keep, 1); i++) {
            fs.delete(new Path(checkpointsDir(), checkpointName(steps.get(i))), false);
        }
    }

    /** Steps of the complete checkpoints present, ascending. */
    public List<Long> checkpointSteps() throws IOException {
        List<Long> steps = new ArrayList<>();
        if (!fs.exists(checkpointsDir())) return steps;
        for (FileStatus s : fs.listStatus(checkpointsDir())) {
            Matcher m = CHECKPOINT.matcher(s.getPath().getName());
            if (m.matches()) steps.add(Long.parseLong(m.group(1)));
        }
        steps.sort(null);
        return steps;
    }

    /**
     * The checkpoint a command reads: the file {@code checkpoint} names (the value of {@code checkpointKey}), else the
     * latest of the run directory {@code runDir}; an error names the key or the run that lacks it.
     */
    public static Path checkpointToRead(String checkpointKey, String checkpoint, String runDir, Configuration hadoop)
            throws IOException {
        if (!checkpoint.isBlank()) {
            Path p = new Path(checkpoint);
            if (!p.getFileSystem(hadoop).isFile(p)) throw new IllegalArgumentException(checkpointKey + " " + checkpoint + ": no such file");
            return p;
        }
        if (runDir.isBlank()) throw new IllegalArgumentException(checkpointKey + " and run.dir are both empty: name a checkpoint or a run");
        return new RunDirectory(runDir, hadoop).latestCheckpoint().orElseThrow(() -> new IllegalArgumentException(
                "run.dir " + runDir + " has no checkpoints (checkpoints/step-*.safetensors); train first or set " + checkpointKey));
    }

    /**
     * The newest complete checkpoint: the one {@code latest} names if it exists, else the highest step present
     * (a run killed between writing a checkpoint and updating {@code latest} loses nothing).
     */
    public Optional<Path> latestCheckpoint() throws IOException {
        List<Long> steps = checkpointSteps();
        if (steps.isEmpty()) return Optional.empty();
        Path newest = new Path(checkpointsDir(), checkpointName(steps.get(steps.size() - 1)));
        Optional<String> latest = readText("checkpoints/latest");
        if (latest.isPresent()) {
            Path named = new Path(checkpointsDir(), latest.get().trim());
            if (fs.exists(named) && named.getName().compareTo(newest.getName()) >= 0) return Optional.of(named);
        }
        return Optional.of(newest);
    }

    public <T> T read(Path path, Reader<T> reader) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return reader.read(in);
        }
    }

    /**
     * The checkpoint a setting names: the latest checkpoint of a run directory, or a checkpoint file. A location that
     * is neither is an error naming {@code key}.
     */
    public static org.atdiff.io.Checkpoint readCheckpoint(String location, Configuration hadoop, String key)
            throws IOException {
        RunDirectory dir = new RunDirectory(location, hadoop);
        Path file = dir.latestCheckpoint().orElse(dir.root());
        if (!dir.fs.isFile(file)) {
            throw new IllegalArgumentException(key + " " + location + ": no such checkpoint or run directory with checkpoints");
        }
        return dir.read(file, in -> org.atdiff.io.Checkpoint.load(in, file.toString()));
    }

    /** Lines of {@code metrics.jsonl}, or none. */
    public List<String> metricsLines() throws IOException {
        return readText("metrics.jsonl").map(t -> new ArrayList<>(Arrays.asList(t.split("\n"))))
                .map(l -> { l.removeIf(String::isBlank); return (List<String>) l; })
                .orElseGet(ArrayList::new);
    }
}
