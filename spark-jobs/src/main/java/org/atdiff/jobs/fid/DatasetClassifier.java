package org.atdiff.jobs.fid;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.atdiff.nn.ClassifierTraining;
import org.atdiff.nn.FeatureClassifier;
import org.atdiff.prep.DatasetSchema;
import org.atdiff.prep.Manifest;

/**
 * The FD feature classifier of a prepared dataset: trained on the driver (CPU) on the dataset's train split,
 * tested on its test split; the test accuracy, image counts and the dataset's checksum go into the file's metadata.
 */
public final class DatasetClassifier {
    private DatasetClassifier() {}

    /** Trains a classifier on {@code dataset}'s labels; fails naming the dataset if it is unlabelled. */
    public static ClassifierTraining.Result train(SparkSession spark, String dataset, ClassifierTraining.Settings s)
            throws IOException {
        Manifest m = Manifest.read(dataset, spark.sparkContext().hadoopConfiguration());
        int classes = Math.max(m.labelNames().size(),
                m.labels().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1);
        if (m.labels().containsKey(-1) || classes < 2) {
            throw new IllegalArgumentException("fid.features=classifier trains a classifier on the labels of " + dataset
                    + ", but it " + (m.labels().containsKey(-1) ? "has unlabelled images" : "has fewer than 2 classes")
                    + "; use fid.features=inception with fid.inception-weights, or a labelled dataset");
        }
        ClassifierTraining.LabelledImages train = collect(spark, dataset, "train", m);
        ClassifierTraining.LabelledImages test = collect(spark, dataset, "test", m);
        ClassifierTraining.Result r = ClassifierTraining.train(train, test, classes, s);
        FeatureClassifier c = r.classifier();
        c.metadata().put("test_accuracy", Double.toString(r.testAccuracy()));
        c.metadata().put("test_images", Integer.toString(test.count()));
        c.metadata().put("train_images", Integer.toString(train.count()));
        c.metadata().put("epochs", Integer.toString(s.epochs()));
        c.metadata().put("last_epoch_loss", Double.toString(r.lastEpochLoss()));
        c.metadata().put("dataset", dataset);
        c.metadata().put("dataset_checksum", m.checksum());
        return r;
    }

    private static ClassifierTraining.LabelledImages collect(SparkSession spark, String dataset, String split, Manifest m)
            throws IOException {
        List<Row> rows = ImageSets.dataset(spark, dataset, split).select(DatasetSchema.LABEL, DatasetSchema.PIXELS)
                .orderBy(DatasetSchema.ID).collectAsList();
        int per = m.channels() * m.height() * m.width();
        byte[] pixels = new byte[Math.multiplyExact(rows.size(), per)];
        int[] labels = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            labels[i] = rows.get(i).getInt(0);
            System.arraycopy((byte[]) rows.get(i).get(1), 0, pixels, i * per, per);
        }
        return new ClassifierTraining.LabelledImages(pixels, labels, m.channels(), m.height());
    }

    public static void save(FeatureClassifier c, Path file, Configuration hadoop) throws IOException {
        try (OutputStream out = file.getFileSystem(hadoop).create(file, true)) {
            c.save(out);
        }
    }

    /** Loads a classifier file; a missing file is an error naming {@code key}. */
    public static FeatureClassifier load(Path file, String key, Configuration hadoop) throws IOException {
        FileSystem fs = file.getFileSystem(hadoop);
        if (!fs.isFile(file)) throw new IllegalArgumentException(key + " " + file + ": no such file");
        try (InputStream in = fs.open(file)) {
            return FeatureClassifier.load(in, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(key + " " + file + ": " + e.getMessage(), e);
        }
    }
}
