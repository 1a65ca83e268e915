package org.atdiff.jobs.sample;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.ExistingOutput;
import org.atdiff.jobs.command.StepFingerprint;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.jobs.train.RunLease;
import org.atdiff.nn.UNet;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.ImageBatch;
import org.atdiff.prep.PreparedDataset;
import org.atdiff.tensor.EngineThreads;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A DPM checkpoint evaluated on a prepared dataset's split (nll, eps-mse): the model read on the driver, the first
 * {@code count} images of the split (0 = all), the distributed pass over them and the result file. A consistency
 * model, which predicts no noise, is refused naming the checkpoint; a path that is no prepared dataset is an error
 * naming data.path.
 */
public record CheckpointOnDataset(EvaluationSettings settings, Path checkpoint, SamplingModel model,
                                  JavaRDD<DatasetImage> images) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A sum over images that Spark tasks add batch by batch and merge ({@link #aggregate}). */
    public interface BatchStatistic<S> extends Serializable {
        /** No images' sums for {@code model}. */
        S zero(SamplingModel model);

        /** Adds one batch: {@code labels} null for an unconditional model, {@code ids} the images' ids. */
        void add(S sums, UNet unet, NoiseSchedule schedule, Tensor images, Tensor labels, long[] ids);

        S merge(S a, S b);
    }

    /** An evaluation's work once its lease is held and its output is not already up to date. */
    public interface Evaluation {
        CommandResult run(SparkSession spark) throws Exception;
    }

    /**
     * Runs {@code evaluation} holding output.path's {@link RunLease}, unless the {@link StepFingerprint} beside the
     * result file shows the same settings, checkpoint and data already evaluated.
     */
    public static CommandResult once(Config config, CommandSession session, EvaluationSettings s, Evaluation evaluation)
            throws Exception {
        try (RunLease lease = RunLease.acquire("output.path", s.outputPath(), s.command(), LeaseSettings.fromConfig(config),
                new Configuration())) {
            Configuration hadoop = new Configuration();
            StepFingerprint step = StepFingerprint.of(s.command(), config, List.of(s.command()),
                    Map.of("checkpoint", s.resolveCheckpoint(hadoop).toString(), "data.path", s.dataPath()), hadoop);
            Path marker = StepFingerprint.beside(s.resultPath());
            if (step.alreadyDone(marker, "output.path", s.resultPath(), s.overwrite(), hadoop)) {
                return CommandResult.wrote(s.command(), List.of(s.resultPath())).asReused();
            }
            lease.attach(session);
            CommandResult result = evaluation.run(session.spark());
            step.commit(marker, hadoop);
            return result;
        }
    }

    /**
     * Refuses an existing result file unless output.overwrite, then reads the checkpoint and opens the split.
     *
     * @param why what a consistency model lacks for this evaluation, e.g. "it has no variational bound"
     */
    public static CheckpointOnDataset open(SparkSession spark, EvaluationSettings s, String why) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        ExistingOutput.refuseUnlessOverwrite(s.resultPath(), s.overwrite(), hadoop);
        Path checkpoint = s.resolveCheckpoint(hadoop);
        SamplingModel model = SamplingModel.read(checkpoint, s.ema(), hadoop);
        if (model.objective().consistencyModel()) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " is a consistency model (train.objective = "
                    + model.objective().name() + "): " + why + "; evaluate a DPM (plain, ip, at)");
        }
        try {
            return new CheckpointOnDataset(s, checkpoint, model,
                    PreparedDataset.open(s.dataPath(), hadoop).firstImages(spark, s.split(), s.count()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("data.path " + e.getMessage(), e);
        }
    }

    /**
     * {@code statistic} summed over the images: each partition builds the network once (only if it has images) and adds
     * its images in batches of {@code batch-size}; the partitions' sums merge with {@code treeAggregate}.
     *
     * @param what the Spark job's description, e.g. "bound"
     */
    public <S> S aggregate(SparkSession spark, String what, BatchStatistic<S> statistic) {
        spark.sparkContext().setJobDescription(settings.command() + ": " + what + " of " + checkpoint.getName() + " on "
                + settings.dataPath() + " (split " + settings.split() + ")");
        Broadcast<SamplingModel> network = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        try {
            JavaRDD<DatasetImage> rows = settings.partitions() > 0 ? images.repartition(settings.partitions()) : images;
            return rows.mapPartitions(new PartitionSums<>(network, settings, statistic))
                    .treeAggregate(statistic.zero(model), statistic::merge, statistic::merge);
        } finally {
            network.destroy();
        }
    }

    /** Writes the result file: {@code result}, the checkpoint, step, ema, data, split and seed, then {@code after}. */
    public Path write(Map<String, Object> result, Map<String, Object> after) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>(result);
        doc.put("checkpoint", checkpoint.toString());
        doc.put("step", model.step());
        doc.put("ema", settings.ema());
        doc.put("data", settings.dataPath());
        doc.put("split", settings.split().configName());
        doc.put("seed", settings.seed());
        doc.putAll(after);
        byte[] bytes = JSON.writeValueAsBytes(doc);
        Path file = settings.resultPath();
        new RunDirectory(settings.outputPath(), images.context().hadoopConfiguration()).writeAtomically(file.getName(), o -> o.write(bytes));
        return file;
    }

    /** One partition's sums. */
    private record PartitionSums<S>(Broadcast<SamplingModel> network, EvaluationSettings settings,
                                    BatchStatistic<S> statistic) implements FlatMapFunction<Iterator<DatasetImage>, S> {
        @Override
        public Iterator<S> call(Iterator<DatasetImage> rows) {
            SamplingModel m = network.value();
            S sums = statistic.zero(m);
            if (!rows.hasNext()) return List.of(sums).iterator();
            TaskContext task = TaskContext.get();
            EngineThreads.use(EngineThreads.resolve(settings.threads(), task != null ? task.cpus() : 1));
            UNet unet = m.build();
            NoiseSchedule schedule = m.spec().noiseSchedule();
            int c = unet.config().inChannels(), size = unet.config().imageSize();
            boolean conditional = unet.config().numClasses() > 0;
            while (rows.hasNext()) {
                List<DatasetImage> batch = new ArrayList<>();
                while (rows.hasNext() && batch.size() < settings.batchSize()) batch.add(rows.next());
                ImageBatch b = ImageBatch.of(batch, c, size, size, "the model takes");
                try (PointerScope scope = new PointerScope()) {
                    statistic.add(sums, unet, schedule, b.tensor(), conditional ? b.labelTensor() : null, b.ids());
                }
            }
            return List.of(sums).iterator();
        }
    }
}
