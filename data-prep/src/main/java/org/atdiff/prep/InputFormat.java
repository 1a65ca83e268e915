package org.atdiff.prep;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The raw dataset formats {@code prep} reads, each with its {@link ImageSource}; {@code auto} detects one from the path. */
public enum InputFormat {
    AUTO("auto"),
    FOLDER("folder"),
    CIFAR10_BIN("cifar10-bin"),
    IDX("idx"),
    PARQUET("parquet"),
    BUILTIN("builtin");

    public static final String BUILTIN_PREFIX = "builtin:";
    private final String configName;

    InputFormat(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static InputFormat named(String name) {
        for (InputFormat f : values()) {
            if (f.configName.equals(name == null ? "" : name.trim().toLowerCase(Locale.ROOT))) return f;
        }
        throw new IllegalArgumentException("input.format must be auto, folder, cifar10-bin, idx, parquet or builtin, not '"
                + name + "'");
    }

    /** The source that reads this format. */
    public ImageSource source() {
        return switch (this) {
            case FOLDER -> new FolderSource();
            case CIFAR10_BIN -> new Cifar10BinarySource();
            case IDX -> new IdxSource();
            case PARQUET -> new ParquetSource();
            case BUILTIN -> new BuiltinShapesSource();
            case AUTO -> throw new IllegalStateException("resolve auto first");
        };
    }

    /**
     * The format of {@code path} as configured, or detected when {@code auto}: {@code builtin:...} is builtin; a
     * directory holding CIFAR-10 batch files (or a {@code cifar-10-batches-bin} folder) is cifar10-bin; an
     * {@code *idx?-ubyte[.gz]} file, or a directory holding one, is idx; a {@code .parquet} file, a directory of
     * them, or a prepared dataset (with {@code data/} and {@code manifest.json}) is parquet; any other directory
     * is an image folder. A path that does not exist fails here, naming it.
     */
    public static InputFormat resolve(String configured, String path, Configuration conf) {
        InputFormat f = named(configured);
        if (path.startsWith(BUILTIN_PREFIX)) {
            if (f != AUTO && f != BUILTIN) {
                throw new IllegalArgumentException("input " + path + " is a builtin dataset but input.format is " + configured);
            }
            return BUILTIN;
        }
        if (f == BUILTIN) throw new IllegalArgumentException("input.format=builtin needs input.path = \"builtin:shapes\" or "
                + "\"builtin:white-shapes\", not " + path);
        FileStatus status = status(path, conf);
        if (f != AUTO) return f;
        try {
            FileSystem fs = status.getPath().getFileSystem(conf);
            if (status.isFile()) {
                String name = status.getPath().getName();
                if (IdxSource.isImagesFile(name)) return IDX;
                if (name.endsWith(".parquet")) return PARQUET;
                throw new IllegalArgumentException("input " + path + ": cannot detect the format of a single file; "
                        + "set input.format (folder inputs are directories)");
            }
            boolean parquet = false;
            for (FileStatus child : fs.listStatus(status.getPath())) {
                String name = child.getPath().getName();
                if (child.isDirectory() && name.equals(Cifar10BinarySource.FOLDER)) return CIFAR10_BIN;
                if (child.isFile() && Cifar10BinarySource.isBatchFile(name)) return CIFAR10_BIN;
                if (child.isFile() && IdxSource.isImagesFile(name)) return IDX;
                if (child.isFile() && name.endsWith(".parquet")) parquet = true;
                if (child.isDirectory() && name.equals(PreparedDataset.DATA_DIR)
                        && PreparedDataset.isAt(status.getPath().toString(), conf)) parquet = true;
            }
            return parquet ? PARQUET : FOLDER;
        } catch (IOException e) {
            throw new UncheckedIOException("input " + path + ": " + e.getMessage(), e);
        }
    }

    /** The status of an input path; a missing path is an error naming it. */
    static FileStatus status(String path, Configuration conf) {
        try {
            Path p = new Path(path);
            return p.getFileSystem(conf).getFileStatus(p);
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("input " + path + ": no such file or directory");
        } catch (IOException e) {
            throw new UncheckedIOException("input " + path + ": " + e.getMessage(), e);
        }
    }
}
