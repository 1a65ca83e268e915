package org.atdiff.prep;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A prepared dataset, the folder {@code prep} writes: {@code data/} (Parquet shards in the {@link DatasetSchema#ROWS}
 * schema, one row per image), {@code rejected/} (JSON lines) and {@code manifest.json} ({@link Manifest}). Every job
 * reads a dataset through this class: the split filter, the row to {@link DatasetImage} conversion and the check of
 * each image's shape against the manifest live here and nowhere else.
 *
 * <p>A sample set ({@code sample}'s output) is an <em>image set</em>: the same {@code data/} layout and schema without
 * a manifest; {@link #writeImageSet} and {@link #imageSet} write and read one.
 */
public final class PreparedDataset {
    public static final String DATA_DIR = "data";
    public static final String REJECTED_DIR = "rejected";
    /** The split column's value in an image set. */
    public static final String IMAGE_SET_SPLIT = "sample";

    private final String path;
    private final Manifest manifest;

    private PreparedDataset(String path, Manifest manifest) {
        this.path = path;
        this.manifest = manifest;
    }

    /** Whether {@code path} is a prepared dataset's folder (it holds {@code manifest.json}). */
    public static boolean isAt(String path, Configuration hadoop) throws IOException {
        Path manifest = new Path(path, Manifest.FILE_NAME);
        return manifest.getFileSystem(hadoop).exists(manifest);
    }

    /**
     * The prepared dataset at {@code path}. A missing path, a folder without {@code manifest.json} or without
     * {@code data/} is an {@link IllegalArgumentException} naming the path; a manifest of another format or a broken
     * one is a {@link org.atdiff.io.MalformedFileException} naming the file.
     */
    public static PreparedDataset open(String path, Configuration hadoop) throws IOException {
        Path root = new Path(path);
        FileSystem fs = root.getFileSystem(hadoop);
        if (!fs.exists(root)) throw new IllegalArgumentException(path + " does not exist (run `atdiff prep` first)");
        if (!fs.exists(new Path(root, Manifest.FILE_NAME))) {
            throw new IllegalArgumentException(path + " is not a prepared dataset: no " + Manifest.FILE_NAME);
        }
        Manifest m = Manifest.read(path, hadoop);
        if (!fs.isDirectory(new Path(root, DATA_DIR))) {
            throw new IllegalArgumentException(path + " is not a prepared dataset: no " + DATA_DIR + "/ beside its "
                    + Manifest.FILE_NAME);
        }
        return new PreparedDataset(path, m);
    }

    public String path() {
        return path;
    }

    public Manifest manifest() {
        return manifest;
    }

    /** {@code <root>/data}, where a prepared dataset or an image set keeps its Parquet shards. */
    public static Path dataFolder(Path root) {
        return new Path(root, DATA_DIR);
    }

    /** The rows of {@code split}, in the {@link DatasetSchema#ROWS} schema. */
    Dataset<Row> rows(SparkSession spark, DatasetSplit split) {
        Dataset<Row> rows = spark.read().parquet(dataFolder(new Path(path)).toString());
        return split == DatasetSplit.ALL ? rows : rows.filter(col(DatasetSchema.SPLIT).equalTo(split.configName()));
    }

    /** The images of {@code split}, each checked against the manifest's shape (an error names the image and path). */
    public JavaRDD<DatasetImage> images(SparkSession spark, DatasetSplit split) {
        return images(rows(spark, split));
    }

    /** The first {@code count} images of {@code split} by id ({@code count <= 0}: all of them, in no order). */
    public JavaRDD<DatasetImage> firstImages(SparkSession spark, DatasetSplit split, long count) {
        Dataset<Row> rows = rows(spark, split);
        return images(count > 0 ? rows.orderBy(DatasetSchema.ID).limit(Math.toIntExact(count)) : rows);
    }

    /** The images of {@code split} on the driver, sorted by id. */
    public List<DatasetImage> collectImages(SparkSession spark, DatasetSplit split) {
        List<DatasetImage> all = new ArrayList<>(images(spark, split).collect());
        all.sort(Comparator.comparingLong(DatasetImage::id));
        return all;
    }

    /** The ids of {@code split}, sorted; an id that occurs twice is an error naming the dataset. */
    public long[] sortedIds(SparkSession spark, DatasetSplit split) {
        long[] ids = rows(spark, split).select(DatasetSchema.ID).as(Encoders.LONG()).collectAsList().stream()
                .mapToLong(Long::longValue).toArray();
        Arrays.sort(ids);
        for (int i = 1; i < ids.length; i++) {
            if (ids[i] == ids[i - 1]) {
                throw new IllegalArgumentException(path + ": image id " + ids[i] + " occurs twice in split " + split);
            }
        }
        return ids;
    }

    private JavaRDD<DatasetImage> images(Dataset<Row> rows) {
        int c = manifest.channels(), h = manifest.height(), w = manifest.width();
        String needs = path + "'s " + Manifest.FILE_NAME + " says";
        return select(rows).javaRDD().map(r -> DatasetImage.of(r).requireShape(c, h, w, needs));
    }

    private static Dataset<Row> select(Dataset<Row> rows) {
        return rows.select(DatasetSchema.ID, DatasetSchema.LABEL, DatasetSchema.CHANNELS, DatasetSchema.HEIGHT,
                DatasetSchema.WIDTH, DatasetSchema.PIXELS);
    }

    /** Writes {@code images} ({@link PreparedImage#inImageSet}) to {@code <folder>/data} as an image set. */
    public static void writeImageSet(SparkSession spark, JavaRDD<PreparedImage> images, Path folder) {
        spark.createDataFrame(images.map(DatasetSchema::toRow), DatasetSchema.ROWS).write()
                .parquet(dataFolder(folder).toString());
    }

    /** The images of the image set (or prepared dataset: its whole data) at {@code folder}, in no order. */
    public static JavaRDD<DatasetImage> imageSet(SparkSession spark, Path folder) {
        return select(spark.read().parquet(dataFolder(folder).toString())).javaRDD().map(DatasetImage::of);
    }
}
