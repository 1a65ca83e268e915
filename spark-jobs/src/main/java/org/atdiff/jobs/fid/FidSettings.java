package org.atdiff.jobs.fid;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.given;
import static org.atdiff.settings.SettingChecks.oneOf;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.List;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.prep.DatasetSplit;
import org.atdiff.prep.ImageResizer;
import org.atdiff.train.ClassifierTraining;

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
        oneOf("fid.features", features, FEATURES);
        given("reference.split", split);
        atLeast("fid.batch-size", batchSize, 1);
        atLeast("engine.threads", threads, 0);
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
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static FidSettings read(SettingsReader r) {
        ClassifierTraining.Settings training;
        try {
            training = new ClassifierTraining.Settings(r.integer("fid.classifier-epochs"),
                    r.integer("fid.classifier-batch-size"), r.number("fid.classifier-lr"),
                    r.atLeast("fid.classifier-width", 1), r.longValue("run.seed"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("fid.classifier-*: " + e.getMessage(), e);
        }
        return new FidSettings(r.string("fid.features"), r.string("fid.inception-weights"), r.string("fid.classifier"),
                training, r.integer("fid.batch-size"), r.named("reference.split", v -> DatasetSplit.parse(v, "reference.split")),
                r.integer("engine.threads"), r.integer("image.size"), r.integer("image.channels"), r.string("image.resize"));
    }
}
