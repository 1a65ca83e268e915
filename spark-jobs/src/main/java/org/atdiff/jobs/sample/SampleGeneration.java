package org.atdiff.jobs.sample;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.jobs.command.ExistingOutput;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.ImageGrid;
import org.atdiff.prep.Pixels;
import org.atdiff.prep.PreparedDataset;
import org.atdiff.prep.PreparedImage;
import org.atdiff.sampling.Samplers;

/**
 * The {@code sample} job as a library call. Loads the checkpoint on the driver, broadcasts its sampling weights,
 * and for each sample set runs one Spark job over index ranges (at most {@code sample.batch-size} images each),
 * writing {@code <output.path>/<set>/data/} (Parquet in the prepared-dataset schema, ids 0..count-1, split
 * "sample", label = class label or -1), {@code set.json} and {@code grid.png} (the first 64 images).
 */
public final class SampleGeneration {
    public static final String SET_FILE = "set.json";
    public static final String GRID_FILE = "grid.png";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What was written for one sample set. */
    public record WrittenSet(SampleSet set, Path folder, long count, String checkpoint, long step, String variance) {}

    /**
     * The reverse variance a set's sampler draws with: ddpm takes the model's learned one where it has one, else the
     * fixed beta~_t (DdpmSampler); the other samplers add no noise of a learned or fixed variance ("none").
     */
    static String variance(SampleSet set, ModelSpec spec) {
        if (!set.sampler().equals("ddpm")) return "none";
        return spec.unet().learnSigma() ? "learned" : "fixed-small";
    }

    private SampleGeneration() {}

    public static List<WrittenSet> run(SparkSession spark, SampleSettings s) throws IOException {
        SparkContext sc = spark.sparkContext();
        Configuration hadoop = sc.hadoopConfiguration();
        Path checkpoint = SamplingModel.resolve(s, hadoop);
        SamplingModel model = SamplingModel.read(checkpoint, s.ema(), hadoop);
        ModelSpec spec = model.spec();
        for (SampleSet set : s.sets()) { // sampler = cm on a noise predictor, or steps the spacing cannot take, fail here
            model.sampler(set, s);
            if (Samplers.SPACED.contains(set.sampler())) {
                try {
                    s.spacing().timesteps(spec.noiseSchedule(), set.nfe());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("sample.steps / sample.spacing for " + set.sampler() + ": "
                            + e.getMessage(), e);
                }
            }
        }
        Path out = new Path(s.outputPath());
        FileSystem fs = out.getFileSystem(hadoop);
        for (SampleSet set : s.sets()) {
            Path folder = new Path(out, set.folderName());
            ExistingOutput.refuseUnlessOverwrite(folder, s.overwrite(), hadoop);
        }
        List<long[]> ranges = new ArrayList<>();
        for (long first = 0; first < s.count(); first += s.batchSize()) {
            ranges.add(new long[] {first, Math.min(s.batchSize(), s.count() - first)});
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        int slices = Math.min(ranges.size(), s.partitions() > 0 ? s.partitions() : jsc.defaultParallelism());
        Broadcast<SamplingModel> weights = jsc.broadcast(model);
        String previous = sc.getLocalProperty("spark.job.description");
        List<WrittenSet> written = new ArrayList<>();
        try {
            for (SampleSet set : s.sets()) {
                Path folder = new Path(out, set.folderName());
                fs.delete(folder, true);
                sc.setJobDescription("sample: " + s.count() + " images, " + set.folderName() + " from " + checkpoint);
                JavaRDD<PreparedImage> images = jsc.parallelize(ranges, slices).mapPartitions(new SampleTask(weights, set, s));
                PreparedDataset.writeImageSet(spark, images, folder);
                writeGrid(spark, folder, fs);
                writeSetFile(fs, folder, set, s, model, spec);
                written.add(new WrittenSet(set, folder, s.count(), model.checkpoint(), model.step(), variance(set, spec)));
            }
        } finally {
            sc.setJobDescription(previous);
            weights.destroy();
        }
        return written;
    }

    private static void writeGrid(SparkSession spark, Path folder, FileSystem fs) throws IOException {
        List<DatasetImage> first = new ArrayList<>(PreparedDataset.imageSet(spark, folder).filter(i -> i.id() < 64).collect());
        first.sort(Comparator.comparingLong(DatasetImage::id));
        List<byte[]> images = new ArrayList<>();
        for (DatasetImage i : first) images.add(i.pixels().chw());
        Pixels p0 = first.get(0).pixels();
        byte[] png = ImageGrid.png(images, p0.channels(), p0.height(), p0.width(), 8, Math.max(1, 64 / p0.height()));
        try (OutputStream o = fs.create(new Path(folder, GRID_FILE), true)) {
            o.write(png);
        }
    }

    private static void writeSetFile(FileSystem fs, Path folder, SampleSet set, SampleSettings s, SamplingModel model,
                                     ModelSpec spec) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sampler", set.sampler());
        m.put("nfe", set.nfe());
        m.put("spacing", set.spacing());
        m.put("es", set.es());
        m.put("es_factor", set.es() ? s.esFactor() : 1.0);
        m.put("eta", s.eta());
        m.put("perturbation", set.perturbation());
        m.put("perturbation_radius", set.radius());
        m.put("precision", s.precision().key());
        m.put("count", s.count());
        m.put("seed", s.seed());
        m.put("objective", model.objective().name());
        m.put("checkpoint", model.checkpoint());
        m.put("step", model.step());
        m.put("ema", model.ema());
        m.put("image_size", spec.unet().imageSize());
        m.put("channels", spec.unet().inChannels());
        m.put("classes", spec.unet().numClasses());
        m.put("variance", variance(set, spec));
        try (OutputStream o = fs.create(new Path(folder, SET_FILE), true)) {
            o.write(JSON.writeValueAsBytes(m));
        }
    }
}
