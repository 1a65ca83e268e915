package org.atdiff.jobs.fid;

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

/**
 * The distributed statistics pass: each partition of images runs the feature network in batches and accumulates
 * its count, mean and co-moment in double precision ({@link FeatureMoments}); the partitions' moments are merged
 * with {@code treeAggregate} (Chan, Golub and LeVeque's pairwise update). No feature vector leaves its executor.
 */
public final class FeatureStatistics {
    private FeatureStatistics() {}

    /** Moments of the features of {@code images}, all of one shape. */
    public static FeatureMoments compute(SparkSession spark, JavaRDD<DatasetImage> images, FeatureExtractor extractor,
                                         int batchSize, int threads) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<FeatureExtractor> fx = jsc.broadcast(extractor);
        try {
            return images.mapPartitions(new PartitionMoments(fx, batchSize, threads))
                    .treeAggregate(new FeatureMoments(extractor.dimension()), FeatureMoments::merge,
                            FeatureMoments::merge);
        } finally {
            fx.destroy();
        }
    }

    /** One partition's moments; the network is built once per task, only if the partition has images. */
    static final class PartitionMoments implements FlatMapFunction<Iterator<DatasetImage>, FeatureMoments> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<FeatureExtractor> extractor;
        private final int batchSize, threads;

        PartitionMoments(Broadcast<FeatureExtractor> extractor, int batchSize, int threads) {
            this.extractor = extractor;
            this.batchSize = batchSize;
            this.threads = threads;
        }

        @Override
        public Iterator<FeatureMoments> call(Iterator<DatasetImage> rows) {
            FeatureMoments moments = new FeatureMoments(extractor.value().dimension());
            if (!rows.hasNext()) return List.of(moments).iterator();
            TaskContext task = TaskContext.get();
            EngineThreads.use(EngineThreads.resolve(threads, task != null ? task.cpus() : 1));
            try (FeatureExtractor.Network net = extractor.value().open(); NoGradScope g = new NoGradScope()) {
                while (rows.hasNext()) {
                    List<DatasetImage> images = new ArrayList<>();
                    while (rows.hasNext() && images.size() < batchSize) images.add(rows.next());
                    ImageBatch b = ImageBatch.of(images);
                    try (PointerScope scope = new PointerScope()) {
                        moments.add(net.features(b.pixels(), b.size(), b.channels(), b.height(), b.width()));
                    }
                }
            }
            return List.of(moments).iterator();
        }
    }
}
