package org.atdiff.jobs.fid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.command.ExistingOutput;
import org.atdiff.jobs.plot.LinePlot;
import org.atdiff.jobs.sample.SampleGeneration;
import org.atdiff.jobs.sample.SampleSet;
import org.atdiff.prep.ImageFolder;
import org.atdiff.prep.PreparedDataset;
import org.atdiff.stats.FeatureMoments;
import org.atdiff.stats.FrechetDistance;

/**
 * The {@code fid} job as a library call: the reference statistics (an {@code .npz}, or computed from a prepared
 * dataset or an image folder and saved as {@code reference.npz}), the statistics of each sample set or of the image
 * folder under {@code samples.path} ({@code <name>.npz}; an {@code .npz} is read) with the same feature extractor,
 * their Frechet distance, {@code fid.json} and, for sample sets, {@code fid.png} (score against NFE per sampler), all
 * under {@code output.path}. Two {@code .npz} files are compared without running a network ({@link FidInput}).
 */
public final class FidScoring {
    public static final String RESULT_FILE = "fid.json";
    public static final String PLOT_FILE = "fid.png";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The score of one sample set; {@code scoreName} is fid (Inception) or fd_classifier. {@code classifierAccuracy}:
     * with classifier features, the fraction of a class-conditional set's samples the classifier puts in the class
     * they were drawn for; NaN otherwise.
     */
    public record Result(String set, String sampler, int nfe, String spacing, boolean es, String perturbation,
                         double perturbationRadius, long count, String features, String scoreName, double score,
                         double classifierAccuracy, String checkpoint, long step) {
        /** One line for a log: the set, its score, its size and the classifier's accuracy where there is one. */
        public String line() {
            return String.format("%-28s %s = %.4f (%d images%s)", set, scoreName, score, count,
                    Double.isNaN(classifierAccuracy) ? ""
                            : String.format("; the classifier puts %.1f%% in the class they were drawn for",
                            100 * classifierAccuracy));
        }
    }

    private FidScoring() {}

    public static List<Result> run(SparkSession spark, FidSettings s, String samplesPath, String referencePath,
                                   String outputPath, boolean overwrite) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path out = new Path(outputPath);
        FileSystem outFs = out.getFileSystem(hadoop);
        ExistingOutput.refuseUnlessOverwrite(new Path(out, RESULT_FILE), overwrite, hadoop);
        FidInput samples = FidInput.resolve("samples.path", samplesPath, false, hadoop);
        FidInput ref = FidInput.resolve("reference.path", referencePath, true, hadoop);
        ImageStatistics sampleStats = samples.kind() == FidInput.Kind.STATISTICS ? readStatistics(samples, hadoop) : null;
        ImageStatistics reference = ref.kind() == FidInput.Kind.STATISTICS ? readStatistics(ref, hadoop) : null;
        if (sampleStats != null && reference != null) {
            Result r = betweenStatistics(sampleStats, reference, samples);
            writeResults(outFs, out, List.of(r), sampleStats.extractorId(), "", reference, false);
            return List.of(r);
        }
        FeatureExtractor fx = FeatureExtractors.resolve(spark, s, reference != null ? reference : sampleStats,
                ref.kind() == FidInput.Kind.DATASET ? referencePath : null, new Path(out, "classifier.safetensors"));
        if (reference == null) {
            Path npz = new Path(out, "reference.npz");
            reference = ref.kind() == FidInput.Kind.DATASET ? StatsJob.compute(spark, s, fx, referencePath, npz)
                    : folderStatistics(spark, s, fx, ref, npz);
        } else {
            reference.requireExtractor(fx, "reference.path");
        }
        List<Result> results = new ArrayList<>();
        if (samples.kind() != FidInput.Kind.SAMPLE_SETS) {
            ImageStatistics stats = sampleStats;
            if (stats == null) stats = folderStatistics(spark, s, fx, samples, new Path(out, samples.name() + ".npz"));
            else stats.requireExtractor(fx, "samples.path");
            results.add(plain(samples, stats.count(), fx.kind(), fx.scoreName(), distance(stats, reference)));
        }
        for (Path set : samples.sets()) {
            JsonNode meta = readJson(new Path(set, SampleGeneration.SET_FILE), hadoop);
            spark.sparkContext().setJobDescription("fid: " + fx.kind() + " features of " + set);
            FeatureStatistics.Pass pass = FeatureStatistics.compute(spark, PreparedDataset.imageSet(spark, set), fx,
                    s.batchSize(), s.threads());
            ImageStatistics stats = ImageStatistics.of(pass.moments(), fx, set.toString());
            stats.write(new Path(out, set.getName() + ".npz"), hadoop);
            results.add(new Result(set.getName(), meta.path("sampler").asText(), meta.path("nfe").asInt(),
                    meta.hasNonNull("spacing") ? meta.get("spacing").asText() : null, meta.path("es").asBoolean(),
                    meta.path("perturbation").asText("none"),
                    meta.path("perturbation_radius").asDouble(0), stats.count(), fx.kind(), fx.scoreName(),
                    distance(stats, reference), pass.accuracy(), meta.path("checkpoint").asText(),
                    meta.path("step").asLong()));
        }
        writeResults(outFs, out, results, fx.id(), fx.source(), reference, samples.kind() == FidInput.Kind.SAMPLE_SETS);
        return results;
    }

    private static double distance(ImageStatistics a, ImageStatistics b) {
        return FrechetDistance.between(a.mu(), a.sigma(), b.mu(), b.sigma());
    }

    /** The score of an image folder or .npz: no sampler, NFE 0. */
    private static Result plain(FidInput in, long count, String features, String scoreName, double score) {
        return new Result(in.name(), "", 0, null, false, "none", 0, count, features, scoreName, score, Double.NaN, "", 0);
    }

    /** Statistics of an image folder, fitted to what {@code fx} takes, written to {@code npz}. */
    private static ImageStatistics folderStatistics(SparkSession spark, FidSettings s, FeatureExtractor fx, FidInput in,
                                                    Path npz) throws IOException {
        try (ImageFolder folder = ImageFolder.read(spark, in.key(), in.path().toString(),
                s.folderResizer(fx.inputChannels(), fx.inputSize()))) {
            spark.sparkContext().setJobDescription("fid: " + fx.kind() + " features of " + in.path());
            FeatureMoments m = FeatureStatistics.compute(spark, folder.images(), fx, s.batchSize(), s.threads()).moments();
            ImageStatistics stats = ImageStatistics.of(m, fx, in.path().toString());
            stats.write(npz, spark.sparkContext().hadoopConfiguration());
            return stats;
        }
    }

    /**
     * Two .npz files: no feature network runs, but they must come from the same one (the same extractor recorded in
     * their sidecars; without a sidecar, as pytorch-fid writes them, they are taken as Inception statistics).
     */
    private static Result betweenStatistics(ImageStatistics samples, ImageStatistics reference, FidInput in) {
        if (samples.dimension() != reference.dimension()) {
            throw new IllegalArgumentException("samples.path " + samples.source() + " has " + samples.dimension()
                    + "-d features but reference.path " + reference.source() + " has " + reference.dimension() + "-d: "
                    + "statistics from different feature extractors cannot be compared");
        }
        String a = samples.extractorId(), b = reference.extractorId();
        for (ImageStatistics st : List.of(samples, reference)) {
            if (st.extractorId().isEmpty() && !(a + b).isEmpty() && !(a + b).startsWith("inception:")) {
                throw new IllegalArgumentException(st.source() + " does not record its feature extractor (no sidecar "
                        + ".json); only Inception statistics can be used without one, and the other file holds "
                        + (a + b));
            }
        }
        if (!a.isEmpty() && !b.isEmpty() && !a.equals(b)) {
            throw new IllegalArgumentException("samples.path " + samples.source() + " was computed with feature extractor "
                    + a + " but reference.path " + reference.source() + " with " + b + ": statistics from different "
                    + "feature extractors cannot be compared");
        }
        String kind = (a + b).isEmpty() ? "inception" : (a.isEmpty() ? b : a).split(":")[0];
        return plain(in, samples.count(), kind, kind.equals("inception") ? "fid" : "fd_" + kind,
                distance(samples, reference));
    }

    private static ImageStatistics readStatistics(FidInput in, Configuration hadoop) throws IOException {
        try {
            return ImageStatistics.read(in.path(), hadoop);
        } catch (IOException e) {
            throw new IllegalArgumentException(in.key() + " " + in.path() + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file, Configuration hadoop) throws IOException {
        try (InputStream in = file.getFileSystem(hadoop).open(file)) {
            return JSON.readTree(in);
        }
    }

    private static void writeResults(FileSystem fs, Path out, List<Result> results, String extractorId,
                                     String extractorFile, ImageStatistics reference, boolean plotNfe) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        String features = results.get(0).features();
        LinePlot plot = new LinePlot((features.equals("inception") ? "FID" : "FD (classifier features)") + " against NFE",
                "NFE", results.get(0).scoreName(), true);
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sampler", r.sampler().isEmpty() ? null : r.sampler()); // null for an image folder or .npz
            m.put("nfe", r.sampler().isEmpty() ? null : r.nfe());
            m.put("spacing", r.spacing()); // null for a set written before sample.spacing existed
            m.put("es", r.es());
            m.put("perturbation", r.perturbation());
            m.put("perturbation_radius", r.perturbationRadius());
            m.put("count", r.count());
            m.put("features", r.features());
            m.put(r.scoreName(), r.score());
            if (!Double.isNaN(r.classifierAccuracy())) m.put("classifier_accuracy", r.classifierAccuracy());
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
        doc.put("extractor", extractorId);
        doc.put("extractor_file", extractorFile);
        doc.put("reference", reference.source());
        doc.put("reference_count", reference.count());
        try (OutputStream o = fs.create(new Path(out, RESULT_FILE), true)) {
            o.write(JSON.writeValueAsBytes(doc));
        }
        if (!plotNfe) return;
        try (OutputStream o = fs.create(new Path(out, PLOT_FILE), true)) {
            o.write(plot.png(720, 420));
        }
    }
}
