package org.atdiff.prep;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.inRange;
import static org.atdiff.settings.SettingChecks.nonEmpty;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything {@code prep} needs, typed; field names follow the configuration paths ({@code input.*},
 * {@code image.*}, {@code split.*}, {@code output.*}); spark-jobs' PrepJob reads them from the configuration.
 *
 * @param inputPath           Hadoop path of the raw dataset, or {@code builtin:shapes}
 * @param inputFormat         auto | folder | cifar10-bin | idx | parquet | builtin
 * @param imageColumn         format=parquet: column with encoded image bytes or raw uint8 pixels
 * @param labelColumn         format=parquet: integer label column ("" for none)
 * @param maxRejectedFraction fail (writing nothing) when more than this fraction of images is unreadable
 * @param builtinCount        number of images the builtin dataset generates
 * @param builtinSeed         seed of the builtin dataset's generator
 * @param partitions          read partitions (0 = Spark's default parallelism; Parquet inputs keep their own splits);
 *                            the output does not depend on it
 * @param imageSize           side length after resize and centre crop
 * @param channels            1 or 3
 * @param resize              area | bicubic
 * @param testFraction        test fraction of the deterministic split (sources without a split of their own)
 * @param splitSeed           seed of the deterministic split
 * @param outputPath          Hadoop path of the dataset to write
 * @param overwrite           replace an existing dataset at outputPath (only once the new one is complete)
 * @param shards              number of Parquet files (0 = about 64 MB each)
 */
public record PrepSettings(String inputPath, String inputFormat, String imageColumn, String labelColumn,
        double maxRejectedFraction, int builtinCount, long builtinSeed, int partitions, int imageSize, int channels,
        String resize, double testFraction, long splitSeed, String outputPath, boolean overwrite, int shards) {

    public PrepSettings {
        nonEmpty("input.path", inputPath);
        nonEmpty("output.path", outputPath);
        InputFormat.named(inputFormat);
        ImageResizer.Filter.named(resize);
        inRange("input.max-rejected-fraction", maxRejectedFraction, 0, 1, false);
        atLeast("input.builtin-count", builtinCount, 1);
        atLeast("input.partitions", partitions, 0);
        atLeast("image.size", imageSize, 1);
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("image.channels must be 1 or 3: " + channels);
        inRange("split.test-fraction", testFraction, 0, 1, false);
        atLeast("output.shards", shards, 0);
    }

    public ImageResizer resizer() {
        return new ImageResizer(imageSize, channels, ImageResizer.Filter.named(resize));
    }

    /** The settings under their configuration paths, as recorded in the manifest. */
    public Map<String, Object> asConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("input.path", inputPath);
        m.put("input.format", inputFormat);
        m.put("input.image-column", imageColumn);
        m.put("input.label-column", labelColumn);
        m.put("input.max-rejected-fraction", maxRejectedFraction);
        m.put("input.builtin-count", builtinCount);
        m.put("input.builtin-seed", builtinSeed);
        m.put("input.partitions", partitions);
        m.put("image.size", imageSize);
        m.put("image.channels", channels);
        m.put("image.resize", resize);
        m.put("split.test-fraction", testFraction);
        m.put("split.seed", splitSeed);
        m.put("output.path", outputPath);
        m.put("output.overwrite", overwrite);
        m.put("output.shards", shards);
        return m;
    }
}
