package org.atdiff.jobs.sample;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.DatasetSplit;
import org.atdiff.prep.PreparedDataset;

/**
 * A DPM checkpoint to evaluate on a prepared dataset's split (nll, eps-mse): the model read on the driver, and the first
 * {@code count} images of the split (0 = all). A consistency model, which predicts no noise, is refused naming the
 * checkpoint; a path that is no prepared dataset is an error naming data.path.
 */
public record CheckpointOnDataset(Path checkpoint, SamplingModel model, JavaRDD<DatasetImage> images) {
    /** @param why what a consistency model lacks for this evaluation, e.g. "it has no variational bound" */
    public static CheckpointOnDataset open(SparkSession spark, Path checkpoint, boolean ema, String dataPath,
                                           DatasetSplit split, long count, String why) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        SamplingModel model = SamplingModel.read(checkpoint, ema, hadoop);
        if (model.objective().consistencyModel()) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " is a consistency model (train.objective = "
                    + model.objective().name() + "): " + why + "; evaluate a DPM (plain, ip, at)");
        }
        try {
            return new CheckpointOnDataset(checkpoint, model,
                    PreparedDataset.open(dataPath, hadoop).firstImages(spark, split, count));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("data.path " + e.getMessage(), e);
        }
    }
}
