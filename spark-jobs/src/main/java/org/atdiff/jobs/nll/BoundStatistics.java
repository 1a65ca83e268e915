package org.atdiff.jobs.nll;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.VariationalBound;
import org.atdiff.jobs.sample.SamplingModel;
import org.atdiff.nn.UNet;
import org.atdiff.optim.NoGradScope;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.ImageBatch;
import org.atdiff.random.BatchNoise;
import org.atdiff.stats.VariationalBoundSums;
import org.atdiff.tensor.EngineThreads;
import org.bytedeco.javacpp.PointerScope;

/**
 * The distributed bound pass: each partition of images builds the network once and evaluates the full variational
 * bound of its images in batches ({@link VariationalBound}); the partitions' sums ({@link VariationalBoundSums}) are
 * merged with {@code treeAggregate}. Image {@code id} draws its noise from (seed, id) only, so the result does not
 * depend on partitions or batches.
 */
public final class BoundStatistics {
    private BoundStatistics() {}

    /** Sums of the bound over {@code images}. */
    public static VariationalBoundSums compute(SparkSession spark, JavaRDD<DatasetImage> images, SamplingModel model,
                                               NllSettings settings) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SamplingModel> network = jsc.broadcast(model);
        int timesteps = model.spec().timesteps();
        try {
            JavaRDD<DatasetImage> rows = images;
            if (settings.partitions() > 0) rows = rows.repartition(settings.partitions());
            return rows.mapPartitions(new PartitionBound(network, settings))
                    .treeAggregate(new VariationalBoundSums(timesteps), VariationalBoundSums::merge, VariationalBoundSums::merge);
        } finally {
            network.destroy();
        }
    }

    /** One partition's sums; the network is built once per task, only if the partition has images. */
    static final class PartitionBound implements FlatMapFunction<Iterator<DatasetImage>, VariationalBoundSums> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<SamplingModel> network;
        private final NllSettings settings;

        PartitionBound(Broadcast<SamplingModel> network, NllSettings settings) {
            this.network = network;
            this.settings = settings;
        }

        @Override
        public Iterator<VariationalBoundSums> call(Iterator<DatasetImage> rows) {
            SamplingModel m = network.value();
            VariationalBoundSums sums = new VariationalBoundSums(m.spec().timesteps());
            if (!rows.hasNext()) return List.of(sums).iterator();
            TaskContext task = TaskContext.get();
            EngineThreads.use(EngineThreads.resolve(settings.threads(), task != null ? task.cpus() : 1));
            UNet unet = m.build();
            NoiseSchedule schedule = m.spec().noiseSchedule();
            int c = unet.config().inChannels(), size = unet.config().imageSize();
            boolean conditional = unet.config().numClasses() > 0;
            try (NoGradScope g = new NoGradScope()) {
                while (rows.hasNext()) {
                    List<DatasetImage> images = new ArrayList<>();
                    while (rows.hasNext() && images.size() < settings.batchSize()) images.add(rows.next());
                    ImageBatch b = ImageBatch.of(images, c, size, size, "the model takes");
                    try (PointerScope scope = new PointerScope()) {
                        sums.add(VariationalBound.evaluate(unet, schedule, b.tensor(), conditional ? b.labelTensor() : null,
                                BatchNoise.forSamples(settings.seed(), b.ids())));
                    }
                }
            }
            return List.of(sums).iterator();
        }
    }
}
