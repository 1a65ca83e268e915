package org.atdiff.jobs.fid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.report.LinePlot;
import org.atdiff.jobs.sample.SampleGeneration;
import org.atdiff.jobs.sample.SampleSet;
import org.atdiff.stats.FeatureMoments;
import org.atdiff.stats.FrechetDistance;

/**
 * The {@code fid} job as a library call: the reference statistics (an {@code .npz}, or computed from a prepared
 * dataset and saved as {@code reference.npz}), each sample set's statistics ({@code <set>.npz}) with the same
 * feature extractor, their Frechet distance, {@code fid.json} and {@code fid.png} (score against NFE per sampler),
 * all under {@code output.path}.
 */
public final class FidScoring {
    public static final String RESULT_FILE = "fid.json";
    public static final String PLOT_FILE = "fid.png";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The score of one sample set; {@code scoreName} is fid (Inception) or fd_classifier. */
    public record Result(String set, String sampler, int nfe, String spacing, boolean es, String perturbation,
                         double perturbationRadius, long count, String features, String scoreName, double score,
                         String checkpoint, long step) {}

    private FidScoring() {}

    public static List<Result> run(SparkSession spark, FidSettings s, String samplesPath, String referencePath,
                                   String outputPath, boolean overwrite) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path out = new Path(outputPath);
        FileSystem outFs = out.getFileSystem(hadoop);
        if (outFs.exists(new Path(out, RESULT_FILE)) && !overwrite) {
            throw new IllegalStateException("output.path " + new Path(out, RESULT_FILE) + " already exists; set "
                    + "output.overwrite=true to replace it");
        }
        List<Path> sets = sampleSets(samplesPath, hadoop);
        Path ref = new Path(referencePath);
        boolean refIsDataset = ImageSets.isDataset(referencePath, hadoop);
        if (!refIsDataset && !ref.getFileSystem(hadoop).isFile(ref)) {
            throw new IllegalArgumentException("reference.path " + referencePath + " is neither a prepared dataset "
                    + "(no manifest.json) nor an .npz file");
        }
        ImageStatistics reference = refIsDataset ? null : readReference(ref, hadoop);
        FeatureExtractor fx = FeatureExtractors.resolve(spark, s, reference, refIsDataset ? referencePath : null,
                new Path(out, "classifier.safetensors"));
        if (refIsDataset) {
            reference = StatsJob.compute(spark, s, fx, referencePath, new Path(out, "reference.npz"));
        } else {
            reference.requireExtractor(fx, "reference.path");
        }
        List<Result> results = new ArrayList<>();
        for (Path set : sets) {
            JsonNode meta = readJson(new Path(set, SampleGeneration.SET_FILE), hadoop);
            spark.sparkContext().setJobDescription("fid: " + fx.kind() + " features of " + set);
            FeatureMoments m = FeatureStatistics.compute(spark, ImageSets.sampleSet(spark, set), fx, s.batchSize(),
                    s.threads());
            ImageStatistics stats = ImageStatistics.of(m, fx, set.toString());
            stats.write(new Path(out, set.getName() + ".npz"), hadoop);
            double score = FrechetDistance.between(stats.mu(), stats.sigma(), reference.mu(), reference.sigma());
            results.add(new Result(set.getName(), meta.path("sampler").asText(), meta.path("nfe").asInt(),
                    meta.hasNonNull("spacing") ? meta.get("spacing").asText() : null, meta.path("es").asBoolean(),
                    meta.path("perturbation").asText("none"),
                    meta.path("perturbation_radius").asDouble(0), stats.count(), fx.kind(), fx.scoreName(), score,
                    meta.path("checkpoint").asText(), meta.path("step").asLong()));
        }
        writeResults(outFs, out, results, fx, reference);
        return results;
    }

    private static ImageStatistics readReference(Path ref, Configuration hadoop) throws IOException {
        try {
            return ImageStatistics.read(ref, hadoop);
        } catch (IOException e) {
            throw new IllegalArgumentException("reference.path " + ref + ": " + e.getMessage(), e);
        }
    }

    /** {@code path} itself if it is a sample set (has set.json), else its sub-folders that are, by name. */
    static List<Path> sampleSets(String path, Configuration hadoop) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(hadoop);
        if (fs.exists(new Path(p, SampleGeneration.SET_FILE))) return List.of(p);
        List<Path> sets = new ArrayList<>();
        if (fs.isDirectory(p)) {
            FileStatus[] children = fs.listStatus(p);
            Arrays.sort(children, Comparator.comparing(st -> st.getPath().getName()));
            for (FileStatus c : children) {
                if (c.isDirectory() && fs.exists(new Path(c.getPath(), SampleGeneration.SET_FILE))) sets.add(c.getPath());
            }
        }
        if (sets.isEmpty()) {
            throw new IllegalArgumentException("samples.path " + path + " holds no sample sets (folders with "
                    + SampleGeneration.SET_FILE + " written by `sample`)");
        }
        return sets;
    }

    private static JsonNode readJson(Path file, Configuration hadoop) throws IOException {
        try (InputStream in = file.getFileSystem(hadoop).open(file)) {
            return JSON.readTree(in);
        }
    }

    private static void writeResults(FileSystem fs, Path out, List<Result> results, FeatureExtractor fx,
                                     ImageStatistics reference) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        LinePlot plot = new LinePlot((fx.kind().equals("inception") ? "FID" : "FD (classifier features)") + " against NFE",
                "NFE", fx.scoreName(), true);
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sampler", r.sampler());
            m.put("nfe", r.nfe());
            m.put("spacing", r.spacing()); // null for a set written before sample.spacing existed
            m.put("es", r.es());
            m.put("perturbation", r.perturbation());
            m.put("perturbation_radius", r.perturbationRadius());
            m.put("count", r.count());
            m.put("features", r.features());
            m.put(r.scoreName(), r.score());
            m.put("set", r.set());
            m.put("checkpoint", r.checkpoint());
            m.put("step", r.step());
            rows.add(m);
            plot.add(r.sampler() + (SampleSet.namesSpacing(r.sampler(), r.spacing()) ? " " + r.spacing() : "")
                    + (r.es() ? " + ES" : "")
                    + (r.perturbation().equals("none") ? "" : " + " + r.perturbation() + " " + r.perturbationRadius()),
                    r.nfe(), r.score());
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("results", rows);
        doc.put("extractor", fx.id());
        doc.put("extractor_file", fx.source());
        doc.put("reference", reference.source());
        doc.put("reference_count", reference.count());
        try (OutputStream o = fs.create(new Path(out, RESULT_FILE), true)) {
            o.write(JSON.writeValueAsBytes(doc));
        }
        try (OutputStream o = fs.create(new Path(out, PLOT_FILE), true)) {
            o.write(plot.png(720, 420));
        }
    }
}
