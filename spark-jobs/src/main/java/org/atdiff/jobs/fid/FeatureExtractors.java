package org.atdiff.jobs.fid;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.nn.FeatureClassifier;
import org.atdiff.train.ClassifierTraining;

/**
 * Chooses the feature network of {@code stats} and {@code fid} from {@code fid.features}:
 * <ul>
 *   <li>{@code inception}: pytorch-fid's Inception-v3 from {@code fid.inception-weights} (required);</li>
 *   <li>{@code classifier}: the classifier file {@code fid.classifier}; else the one the reference statistics name;
 *       else one trained now on a prepared dataset and saved to the given file.</li>
 * </ul>
 */
public final class FeatureExtractors {
    /** Where to get pytorch-fid's weights, for the error when none are configured. */
    static final String INCEPTION_HELP = "download pytorch-fid's pt_inception-2015-12-05-6726825d.pth (github.com/"
            + "mseitzer/pytorch-fid releases) and convert it with deploy/convert_inception_weights.py, then set "
            + "fid.inception-weights to the .safetensors file; or use fid.features=classifier";

    private FeatureExtractors() {}

    /**
     * @param reference     the reference statistics, or null (their classifier is reused when fid.classifier is empty)
     * @param trainingData  a prepared dataset to train a classifier on when none is given, or null
     * @param trainedOutput where a newly trained classifier is saved
     */
    public static FeatureExtractor resolve(SparkSession spark, FidSettings s, ImageStatistics reference,
                                           String trainingData, Path trainedOutput) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (s.features().equals("inception")) return inception(s, hadoop);
        if (!s.classifier().isBlank()) {
            Path p = new Path(s.classifier());
            return FeatureExtractor.classifier(DatasetClassifier.load(p, "fid.classifier", hadoop), qualified(p, hadoop));
        }
        if (reference != null && !reference.classifier().isBlank()) {
            Path p = new Path(reference.classifier());
            if (p.getFileSystem(hadoop).isFile(p)) {
                FeatureExtractor fx = FeatureExtractor.classifier(
                        DatasetClassifier.load(p, "the classifier of reference " + reference.source(), hadoop),
                        qualified(p, hadoop));
                System.out.println("features: the classifier of the reference statistics, " + p);
                return fx;
            }
        }
        if (trainingData == null) {
            throw new IllegalArgumentException("fid.features=classifier needs fid.classifier (a classifier file, e.g. "
                    + "from `deploy/atdiff classifier data.path=<labelled prepared dataset>`): "
                    + (reference == null ? "no .npz" : "the statistics " + reference.source()) + " name no classifier "
                    + "file that exists, and a classifier is trained only on a prepared, labelled reference.path, not on "
                    + "an image folder or an .npz. Or use fid.features=inception with fid.inception-weights ("
                    + INCEPTION_HELP + ")");
        }
        ClassifierTraining.Result r = DatasetClassifier.train(spark, trainingData, s.training());
        DatasetClassifier.save(r.classifier(), trainedOutput, hadoop);
        report(r, trainedOutput);
        return FeatureExtractor.classifier(r.classifier(), qualified(trainedOutput, hadoop));
    }

    static void report(ClassifierTraining.Result r, Path file) {
        FeatureClassifier c = r.classifier();
        System.out.printf("classifier: %d-d features, test accuracy %.4f (%s test images), %d steps, sha256 %s -> %s%n",
                c.featureDimension(), r.testAccuracy(), c.metadata().get("test_images"), r.steps(), c.checksum(), file);
    }

    private static FeatureExtractor inception(FidSettings s, Configuration hadoop) throws IOException {
        if (s.inceptionWeights().isBlank()) {
            throw new IllegalArgumentException("fid.features=inception needs fid.inception-weights: " + INCEPTION_HELP);
        }
        Path p = new Path(s.inceptionWeights());
        FileSystem fs = p.getFileSystem(hadoop);
        if (!fs.isFile(p)) {
            throw new IllegalArgumentException("fid.inception-weights " + p + ": no such file (" + INCEPTION_HELP + ")");
        }
        try (var in = fs.open(p)) {
            return FeatureExtractor.inception(in.readAllBytes(), qualified(p, hadoop));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("fid.inception-weights " + p + ": unreadable Inception weights: "
                    + e.getMessage(), e);
        }
    }

    private static String qualified(Path p, Configuration hadoop) throws IOException {
        return p.getFileSystem(hadoop).makeQualified(p).toString();
    }
}
