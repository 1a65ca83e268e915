package org.atdiff.jobs.robust;

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
import org.atdiff.jobs.sample.SamplingModel;
import org.atdiff.nn.UNet;
import org.atdiff.objective.PerturbedDenoisingError;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.ImageBatch;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.stats.RunningMeans;
import org.atdiff.tensor.EngineThreads;
import org.bytedeco.javacpp.PointerScope;

/**
 * The distributed pass of {@code eps-mse}: each partition of images builds the network once and evaluates
 * {@link PerturbedDenoisingError} of its images in batches, once per timestep bin; the partitions'
 * {@link RunningMeans} merge with {@code treeAggregate}. Image {@code id} in bin j draws t (uniform in the bin), eps
 * and the random direction from the stream (seed, id, j) only, so every model sees the same draws and the result
 * depends on neither partitions nor batches.
 */
public final class PerturbedErrorStatistics {
    private PerturbedErrorStatistics() {}

    /** The means of every (bin, attack, radius) cell ({@link EpsMseSettings#cell}) over {@code images}. */
    public static RunningMeans compute(SparkSession spark, JavaRDD<DatasetImage> images, SamplingModel model, EpsMseSettings settings) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SamplingModel> network = jsc.broadcast(model);
        try {
            JavaRDD<DatasetImage> rows = images;
            if (settings.partitions() > 0) rows = rows.repartition(settings.partitions());
            return rows.mapPartitions(new PartitionErrors(network, settings))
                    .treeAggregate(new RunningMeans(settings.cells()), RunningMeans::merge, RunningMeans::merge);
        } finally {
            network.destroy();
        }
    }

    /** One partition's sums; the network is built once per task, only if the partition has images. */
    static final class PartitionErrors implements FlatMapFunction<Iterator<DatasetImage>, RunningMeans> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<SamplingModel> network;
        private final EpsMseSettings settings;

        PartitionErrors(Broadcast<SamplingModel> network, EpsMseSettings settings) {
            this.network = network;
            this.settings = settings;
        }

        @Override
        public Iterator<RunningMeans> call(Iterator<DatasetImage> rows) {
            RunningMeans sums = new RunningMeans(settings.cells());
            if (!rows.hasNext()) return List.of(sums).iterator();
            SamplingModel m = network.value();
            TaskContext task = TaskContext.get();
            EngineThreads.use(EngineThreads.resolve(settings.threads(), task != null ? task.cpus() : 1));
            UNet unet = m.build();
            NoiseSchedule schedule = m.spec().noiseSchedule();
            int[] edges = settings.timestepBins();
            if (edges[edges.length - 1] > schedule.timesteps()) {
                throw new IllegalArgumentException("eps-mse.t-bins ends at " + edges[edges.length - 1] + " but the model has "
                        + schedule.timesteps() + " timesteps");
            }
            int c = unet.config().inChannels(), size = unet.config().imageSize();
            boolean conditional = unet.config().numClasses() > 0;
            while (rows.hasNext()) {
                List<DatasetImage> images = new ArrayList<>();
                while (rows.hasNext() && images.size() < settings.batchSize()) images.add(rows.next());
                ImageBatch batch = ImageBatch.of(images, c, size, size, "the model takes");
                int n = batch.size();
                long[] ids = batch.ids();
                for (int j = 0; j < settings.bins(); j++) {
                    try (PointerScope scope = new PointerScope()) {
                        RandomStream[] streams = new RandomStream[n];
                        int[] t = new int[n];
                        RandomStream root = new RandomStream(settings.seed());
                        for (int b = 0; b < n; b++) {
                            streams[b] = root.derive(ids[b]).derive(j);
                            t[b] = edges[j] + streams[b].nextInt(edges[j + 1] - edges[j]);
                        }
                        double[][][] e = PerturbedDenoisingError.perSample(unet, schedule,
                                batch.tensor(), conditional ? batch.labelTensor() : null, t, new BatchNoise(streams),
                                settings.attacks(), settings.radii());
                        for (int a = 0; a < e.length; a++) {
                            for (int r = 0; r < e[a].length; r++) sums.add(settings.cell(j, a, r), e[a][r]);
                        }
                    }
                }
            }
            return List.of(sums).iterator();
        }
    }
}
