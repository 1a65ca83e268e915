package org.atdiff.jobs.nll;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.VariationalBound;
import org.atdiff.jobs.sample.SamplingModel;
import org.atdiff.nn.UNet;
import org.atdiff.optim.NoGradScope;
import org.atdiff.prep.DatasetSchema;
import org.atdiff.random.BatchNoise;
import org.atdiff.stats.VariationalBoundSums;
import org.atdiff.tensor.EngineThreads;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The distributed bound pass: each partition of images builds the network once and evaluates the full variational
 * bound of its images in batches ({@link VariationalBound}); the partitions' sums ({@link VariationalBoundSums}) are
 * merged with {@code treeAggregate}. Image {@code id} draws its noise from (seed, id) only, so the result does not
 * depend on partitions or batches.
 */
public final class BoundStatistics {
    private BoundStatistics() {}

    /** Sums of the bound over {@code images} (rows in the prepared-dataset schema). */
    public static VariationalBoundSums compute(SparkSession spark, Dataset<Row> images, SamplingModel model,
                                               NllSettings settings) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SamplingModel> network = jsc.broadcast(model);
        int timesteps = model.spec().timesteps();
        try {
            JavaRDD<Row> rows = images.select(DatasetSchema.ID, DatasetSchema.LABEL, DatasetSchema.CHANNELS,
                    DatasetSchema.HEIGHT, DatasetSchema.WIDTH, DatasetSchema.PIXELS).javaRDD();
            if (settings.partitions() > 0) rows = rows.repartition(settings.partitions());
            return rows.mapPartitions(new PartitionBound(network, settings))
                    .treeAggregate(new VariationalBoundSums(timesteps), VariationalBoundSums::merge, VariationalBoundSums::merge);
        } finally {
            network.destroy();
        }
    }

    /** One partition's sums; the network is built once per task, only if the partition has images. */
    static final class PartitionBound implements FlatMapFunction<Iterator<Row>, VariationalBoundSums> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<SamplingModel> network;
        private final NllSettings settings;

        PartitionBound(Broadcast<SamplingModel> network, NllSettings settings) {
            this.network = network;
            this.settings = settings;
        }

        @Override
        public Iterator<VariationalBoundSums> call(Iterator<Row> rows) {
            SamplingModel m = network.value();
            VariationalBoundSums sums = new VariationalBoundSums(m.spec().timesteps());
            if (!rows.hasNext()) return List.of(sums).iterator();
            TaskContext task = TaskContext.get();
            EngineThreads.use(settings.threads() > 0 ? settings.threads() : task != null ? task.cpus() : 1);
            UNet unet = m.build();
            NoiseSchedule schedule = m.spec().noiseSchedule();
            int c = unet.config().inChannels(), size = unet.config().imageSize(), per = c * size * size;
            boolean conditional = unet.config().numClasses() > 0;
            try (NoGradScope g = new NoGradScope()) {
                while (rows.hasNext()) {
                    List<Row> batch = new ArrayList<>();
                    while (rows.hasNext() && batch.size() < settings.batchSize()) batch.add(rows.next());
                    int n = batch.size();
                    byte[] pixels = new byte[n * per];
                    long[] ids = new long[n], labels = new long[n];
                    for (int b = 0; b < n; b++) {
                        Row r = batch.get(b);
                        if (r.getInt(2) != c || r.getInt(3) != size || r.getInt(4) != size) {
                            throw new IllegalArgumentException("image " + r.getLong(0) + " is " + r.getInt(2) + "x"
                                    + r.getInt(3) + "x" + r.getInt(4) + " but the model takes " + c + "x" + size + "x" + size);
                        }
                        ids[b] = r.getLong(0);
                        labels[b] = r.getInt(1);
                        System.arraycopy((byte[]) r.get(5), 0, pixels, b * per, per);
                    }
                    try (PointerScope scope = new PointerScope()) {
                        Tensor x0 = HostTensors.fromPixels(pixels, n, c, size, size);
                        sums.add(VariationalBound.evaluate(unet, schedule, x0, conditional ? HostTensors.fromLongs(labels, n)
                                : null, BatchNoise.forSamples(settings.seed(), ids)));
                    }
                }
            }
            return List.of(sums).iterator();
        }
    }
}
