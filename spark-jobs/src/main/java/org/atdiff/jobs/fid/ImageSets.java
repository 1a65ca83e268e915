package org.atdiff.jobs.fid;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.atdiff.prep.DatasetPrep;
import org.atdiff.prep.DatasetSchema;
import org.atdiff.prep.Manifest;

/** Reads the images of a prepared dataset (one split or all) or of a sample set: both are {@code <path>/data/} Parquet. */
public final class ImageSets {
    private ImageSets() {}

    /** Whether {@code path} is a prepared dataset (has {@code manifest.json}). */
    public static boolean isDataset(String path, Configuration hadoop) throws IOException {
        Path manifest = new Path(path, Manifest.FILE_NAME);
        return manifest.getFileSystem(hadoop).exists(manifest);
    }

    /** The rows of split {@code split} (train | test | all) of the prepared dataset at {@code path}. */
    public static Dataset<Row> dataset(SparkSession spark, String path, String split) throws IOException {
        Manifest.read(path, spark.sparkContext().hadoopConfiguration()); // fails naming the path if it is no dataset
        Dataset<Row> rows = spark.read().parquet(new Path(path, DatasetPrep.DATA_DIR).toString());
        return split.equals("all") ? rows : rows.filter(rows.col(DatasetSchema.SPLIT).equalTo(split));
    }

    /** The rows of a sample set folder written by {@code sample}. */
    public static Dataset<Row> sampleSet(SparkSession spark, Path folder) {
        return spark.read().parquet(new Path(folder, DatasetPrep.DATA_DIR).toString());
    }
}
