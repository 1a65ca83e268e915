package org.atdiff.jobs.fid;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.sample.SampleSet;
import org.atdiff.prep.PreparedDataset;

/**
 * What one side of {@code fid} names, told apart by what is there: an {@code .npz} of statistics; a prepared dataset
 * (has {@code manifest.json}; reference side only); the output of {@code sample} (a set folder with {@code set.json},
 * or a folder of such sets); or else an image folder (png/jpg/bmp/gif, read as {@code prep} reads one).
 *
 * @param sets the sample set folders, by name (kind SAMPLE_SETS), else empty
 */
public record FidInput(Kind kind, String key, Path path, List<Path> sets) {
    public enum Kind { STATISTICS, DATASET, SAMPLE_SETS, IMAGE_FOLDER }

    /**
     * @param key           the configuration key naming {@code path} (samples.path or reference.path)
     * @param allowDataset  whether a prepared dataset is accepted (the reference side)
     */
    public static FidInput resolve(String key, String path, boolean allowDataset, Configuration hadoop)
            throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(hadoop);
        if (!fs.exists(p)) throw new IllegalArgumentException(key + " " + path + ": no such file or directory");
        if (fs.isFile(p)) {
            if (!path.endsWith(".npz")) {
                throw new IllegalArgumentException(key + " " + path + " is a file but not an .npz of statistics (mu, "
                        + "sigma); give an .npz, an image folder" + (allowDataset ? ", a prepared dataset" : "")
                        + " or the output of `sample`");
            }
            return new FidInput(Kind.STATISTICS, key, p, List.of());
        }
        if (PreparedDataset.isAt(path, hadoop)) {
            if (!allowDataset) {
                throw new IllegalArgumentException(key + " " + path + " is a prepared dataset; score it as reference.path, "
                        + "or give sample sets, an image folder or an .npz here");
            }
            return new FidInput(Kind.DATASET, key, p, List.of());
        }
        List<Path> sets = SampleSet.foldersUnder(p, fs);
        return sets.isEmpty() ? new FidInput(Kind.IMAGE_FOLDER, key, p, List.of())
                : new FidInput(Kind.SAMPLE_SETS, key, p, List.copyOf(sets));
    }

    /** The name its scores and statistics go under: the folder's name, or the .npz's without the suffix. */
    public String name() {
        String n = path.getName();
        return kind == Kind.STATISTICS ? n.substring(0, n.length() - ".npz".length()) : n;
    }
}
