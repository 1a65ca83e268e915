package org.atdiff.jobs.fid;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.nn.FeatureClassifier;
import org.atdiff.prep.DatasetSplit;
import org.atdiff.prep.ImageBatch;
import org.atdiff.prep.Manifest;
import org.atdiff.prep.PreparedDataset;
import org.atdiff.train.ClassifierTraining;

/**
 * The FD feature classifier of a prepared dataset: trained on the driver (CPU) on the dataset's train split,
 * tested on its test split; the test accuracy, image counts and the dataset's checksum go into the file's metadata.
 */
public final class DatasetClassifier {
    private DatasetClassifier() {}

    /** Trains a classifier on {@code dataset}'s labels; fails naming the dataset if it is unlabelled. */
    public static ClassifierTraining.Result train(SparkSession spark, String dataset, ClassifierTraining.Settings s)
            throws IOException {
        PreparedDataset d = PreparedDataset.open(dataset, spark.sparkContext().hadoopConfiguration());
        Manifest m = d.manifest();
        int classes = Math.max(m.labelNames().size(),
                m.labels().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1);
        if (m.labels().containsKey(-1) || classes < 2) {
            throw new IllegalArgumentException("fid.features=classifier trains a classifier on the labels of " + dataset
                    + ", but it " + (m.labels().containsKey(-1) ? "has unlabelled images" : "has fewer than 2 classes")
                    + "; use fid.features=inception with fid.inception-weights, or a labelled dataset");
        }
        ClassifierTraining.LabelledImages train = collect(spark, d, DatasetSplit.TRAIN);
        ClassifierTraining.LabelledImages test = collect(spark, d, DatasetSplit.TEST);
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

    /** The split's images in id order. */
    private static ClassifierTraining.LabelledImages collect(SparkSession spark, PreparedDataset d, DatasetSplit split) {
        Manifest m = d.manifest();
        ImageBatch b = ImageBatch.of(d.collectImages(spark, split), m.channels(), m.height(), m.width(),
                d.path() + "'s manifest says");
        return new ClassifierTraining.LabelledImages(b.pixels(), b.labels(), m.channels(), m.height());
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
