package org.atdiff.jobs.fid;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.atdiff.optim.NoGradScope;
import org.atdiff.prep.DatasetSchema;
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

    /** Moments of the features of {@code images} (rows in the prepared-dataset schema). */
    public static FeatureMoments compute(SparkSession spark, Dataset<Row> images, FeatureExtractor extractor,
                                         int batchSize, int threads) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<FeatureExtractor> fx = jsc.broadcast(extractor);
        try {
            return images.select(DatasetSchema.CHANNELS, DatasetSchema.HEIGHT, DatasetSchema.WIDTH, DatasetSchema.PIXELS)
                    .javaRDD()
                    .mapPartitions(new PartitionMoments(fx, batchSize, threads))
                    .treeAggregate(new FeatureMoments(extractor.dimension()), FeatureMoments::merge,
                            FeatureMoments::merge);
        } finally {
            fx.destroy();
        }
    }

    /** One partition's moments; the network is built once per task, only if the partition has images. */
    static final class PartitionMoments implements FlatMapFunction<Iterator<Row>, FeatureMoments> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<FeatureExtractor> extractor;
        private final int batchSize, threads;

        PartitionMoments(Broadcast<FeatureExtractor> extractor, int batchSize, int threads) {
            this.extractor = extractor;
            this.batchSize = batchSize;
            this.threads = threads;
        }

        @Override
        public Iterator<FeatureMoments> call(Iterator<Row> rows) {
            FeatureMoments moments = new FeatureMoments(extractor.value().dimension());
            if (!rows.hasNext()) return List.of(moments).iterator();
            TaskContext task = TaskContext.get();
            EngineThreads.use(threads > 0 ? threads : task != null ? task.cpus() : 1);
            try (FeatureExtractor.Network net = extractor.value().open(); NoGradScope g = new NoGradScope()) {
                while (rows.hasNext()) {
                    Row first = rows.next();
                    int c = first.getInt(0), h = first.getInt(1), w = first.getInt(2), per = c * h * w;
                    byte[] batch = new byte[batchSize * per];
                    int n = 0;
                    for (Row r = first; r != null; r = n < batchSize && rows.hasNext() ? rows.next() : null) {
                        if (r.getInt(0) != c || r.getInt(1) != h || r.getInt(2) != w) {
                            throw new IllegalArgumentException("images of different shapes in one dataset: " + c + "x"
                                    + h + "x" + w + " and " + r.getInt(0) + "x" + r.getInt(1) + "x" + r.getInt(2));
                        }
                        System.arraycopy((byte[]) r.get(3), 0, batch, n * per, per);
                        n++;
                    }
                    try (PointerScope scope = new PointerScope()) {
                        moments.add(net.features(n == batchSize ? batch : Arrays.copyOf(batch, n * per), n, c, h, w));
                    }
                }
            }
            return List.of(moments).iterator();
        }
    }
}
