package org.atdiff.jobs.fid;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.atdiff.optim.NoGradScope;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.ImageBatch;
import org.atdiff.stats.FeatureMoments;
import org.atdiff.tensor.EngineThreads;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The distributed statistics pass: each partition of images runs the feature network in batches and accumulates
 * its count, mean and co-moment in double precision ({@link FeatureMoments}); the partitions' moments are merged
 * with {@code treeAggregate} (Chan, Golub and LeVeque's pairwise update). No feature vector leaves its executor.
 * With a classifier's features, the same pass counts the labelled images it puts in their own class.
 */
public final class FeatureStatistics {
    private FeatureStatistics() {}

    /**
     * What one pass gives: the feature moments, the images that carry a label (sample sets of a class-conditional
     * model do) and how many of those the network classifies as their label (0 of 0 for Inception).
     */
    public record Pass(FeatureMoments moments, long labelled, long agreeing) implements Serializable {
        private static final long serialVersionUID = 1L;

        Pass merge(Pass other) {
            return new Pass(moments.merge(other.moments), labelled + other.labelled, agreeing + other.agreeing);
        }

        /** The fraction of labelled images classified as their label; NaN when none is labelled or none classified. */
        public double accuracy() {
            return labelled == 0 ? Double.NaN : agreeing / (double) labelled;
        }
    }

    /** Moments of the features of {@code images}, all of one shape, and the classifier's agreement with their labels. */
    public static Pass compute(SparkSession spark, JavaRDD<DatasetImage> images, FeatureExtractor extractor,
                               int batchSize, int threads) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<FeatureExtractor> fx = jsc.broadcast(extractor);
        try {
            return images.mapPartitions(new PartitionMoments(fx, batchSize, threads))
                    .treeAggregate(new Pass(new FeatureMoments(extractor.dimension()), 0, 0), Pass::merge, Pass::merge);
        } finally {
            fx.destroy();
        }
    }

    /** One partition's pass; the network is built once per task, only if the partition has images. */
    static final class PartitionMoments implements FlatMapFunction<Iterator<DatasetImage>, Pass> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<FeatureExtractor> extractor;
        private final int batchSize, threads;

        PartitionMoments(Broadcast<FeatureExtractor> extractor, int batchSize, int threads) {
            this.extractor = extractor;
            this.batchSize = batchSize;
            this.threads = threads;
        }

        @Override
        public Iterator<Pass> call(Iterator<DatasetImage> rows) {
            FeatureMoments moments = new FeatureMoments(extractor.value().dimension());
            long labelled = 0, agreeing = 0;
            if (!rows.hasNext()) return List.of(new Pass(moments, 0, 0)).iterator();
            TaskContext task = TaskContext.get();
            EngineThreads.use(EngineThreads.resolve(threads, task != null ? task.cpus() : 1));
            try (FeatureExtractor.Network net = extractor.value().open(); NoGradScope g = new NoGradScope()) {
                while (rows.hasNext()) {
                    List<DatasetImage> images = new ArrayList<>();
                    while (rows.hasNext() && images.size() < batchSize) images.add(rows.next());
                    ImageBatch b = ImageBatch.of(images);
                    try (PointerScope scope = new PointerScope()) {
                        Tensor features = net.features(b.pixels(), b.size(), b.channels(), b.height(), b.width());
                        moments.add(features);
                        long[] classes = net.classes(features);
                        for (int i = 0; classes != null && i < b.size(); i++) {
                            if (b.labels()[i] < 0) continue;
                            labelled++;
                            if (classes[i] == b.labels()[i]) agreeing++;
                        }
                    }
                }
            }
            return List.of(new Pass(moments, labelled, agreeing)).iterator();
        }
    }
}
