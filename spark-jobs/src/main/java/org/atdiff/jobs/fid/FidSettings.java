package org.atdiff.jobs.fid;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.List;
import org.atdiff.nn.ClassifierTraining;
import org.atdiff.prep.DatasetSplit;
import org.atdiff.prep.ImageResizer;

/**
 * The {@code fid.*} and {@code reference.split} keys (plus {@code engine.threads}, {@code run.seed}, and
 * {@code image.*} for image folders) shared by
 * {@code stats}, {@code fid} and {@code classifier}.
 *
 * @param features         inception | classifier
 * @param inceptionWeights safetensors file of pytorch-fid's Inception weights, or ""
 * @param classifier       a classifier file, or "" (reuse the reference's or train one)
 * @param batchSize        images per feature batch on an executor
 * @param split            split of a prepared dataset to summarise: train | test | all
 * @param threads          libtorch threads per task (0 = the cores Spark gives a task)
 * @param folderSize       image.size: the side an image folder is fitted to for Inception features (a classifier
 *                         takes its own size and channels)
 * @param folderChannels   image.channels, likewise
 * @param folderResize     image.resize: the filter fitting an image folder's images
 */
public record FidSettings(String features, String inceptionWeights, String classifier,
        ClassifierTraining.Settings training, int batchSize, DatasetSplit split, int threads, int folderSize,
        int folderChannels, String folderResize) implements Serializable {
    public static final List<String> FEATURES = List.of("inception", "classifier");

    public FidSettings {
        if (!FEATURES.contains(features)) {
            throw new IllegalArgumentException("fid.features must be one of " + FEATURES + " but is '" + features + "'");
        }
        if (split == null) throw new IllegalArgumentException("reference.split must be given");
        if (batchSize < 1) throw new IllegalArgumentException("fid.batch-size must be >= 1 but is " + batchSize);
        if (threads < 0) throw new IllegalArgumentException("engine.threads must be >= 0 but is " + threads);
        new ImageResizer(folderSize, folderChannels, ImageResizer.Filter.named(folderResize)); // checks image.*
    }

    /**
     * How an image folder is fitted for a network taking {@code channels} x {@code size} x {@code size} images (0:
     * any, as Inception: then image.channels and image.size, as `prep` would prepare the folder).
     */
    public ImageResizer folderResizer(int channels, int size) {
        return new ImageResizer(size > 0 ? size : folderSize, channels > 0 ? channels : folderChannels,
                ImageResizer.Filter.named(folderResize));
    }

    public static FidSettings fromConfig(Config c) {
        ClassifierTraining.Settings training;
        try {
            training = new ClassifierTraining.Settings(c.getInt("fid.classifier-epochs"),
                    c.getInt("fid.classifier-batch-size"), c.getDouble("fid.classifier-lr"),
                    c.getInt("fid.classifier-width"), c.getLong("run.seed"));
            if (training.width() < 1) throw new IllegalArgumentException("width must be >= 1: " + training.width());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("fid.classifier-*: " + e.getMessage(), e);
        }
        return new FidSettings(c.getString("fid.features"), c.getString("fid.inception-weights"),
                c.getString("fid.classifier"), training, c.getInt("fid.batch-size"), DatasetSplit.parse(c.getString("reference.split"), "reference.split"),
                c.getInt("engine.threads"), c.getInt("image.size"), c.getInt("image.channels"), c.getString("image.resize"));
    }
}
