package org.atdiff.jobs.fid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atdiff.io.MalformedFileException;
import org.atdiff.io.NpyArray;
import org.atdiff.io.Npz;
import org.atdiff.stats.FeatureMoments;

/**
 * Feature statistics of an image set as FID uses them: the mean {@code mu} (d) and the unbiased covariance
 * {@code sigma} (d x d), stored as an {@code .npz} with float64 arrays {@code mu} and {@code sigma} (what pytorch-fid
 * and numpy read), plus a sidecar {@code <name>.json} naming the feature extractor ({@code extractor} =
 * {@code <kind>:<sha256>}), the image count and where the images came from. An {@code .npz} from another tool has
 * no sidecar: its extractor is unknown ({@link #extractorId()} is "").
 *
 * @param classifier the classifier file that made the features (features = classifier), else ""
 */
public record ImageStatistics(double[] mu, double[] sigma, long count, String features, String extractorId,
        String source, String classifier) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ImageStatistics {
        if (mu.length == 0 || sigma.length != (long) mu.length * mu.length) {
            throw new IllegalArgumentException("sigma must be " + mu.length + " x " + mu.length + ", has " + sigma.length
                    + " values");
        }
    }

    public static ImageStatistics of(FeatureMoments m, FeatureExtractor fx, String source) {
        if (m.count() < 2) {
            throw new IllegalArgumentException(source + ": statistics need at least 2 images, found " + m.count());
        }
        return new ImageStatistics(m.mean(), m.covariance(), m.count(), fx.kind(), fx.id(), source,
                fx.kind().equals("classifier") ? fx.source() : "");
    }

    public int dimension() {
        return mu.length;
    }

    /** The sidecar of {@code npz}: the same name with {@code .json} in place of {@code .npz}. */
    public static Path sidecar(Path npz) {
        String name = npz.getName();
        return new Path(npz.getParent(), (name.endsWith(".npz") ? name.substring(0, name.length() - 4) : name) + ".json");
    }

    public void write(Path npz, Configuration hadoop) throws IOException {
        FileSystem fs = npz.getFileSystem(hadoop);
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        arrays.put("mu", NpyArray.float64(mu, mu.length));
        arrays.put("sigma", NpyArray.float64(sigma, mu.length, mu.length));
        try (OutputStream out = fs.create(npz, true)) {
            Npz.write(out, arrays);
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("features", features);
        meta.put("extractor", extractorId);
        meta.put("dimension", dimension());
        meta.put("count", count);
        meta.put("source", source);
        meta.put("classifier", classifier);
        try (OutputStream out = fs.create(sidecar(npz), true)) {
            out.write(JSON.writeValueAsBytes(meta));
        }
    }

    /** Reads an {@code .npz} with {@code mu} and {@code sigma} and, if present, its sidecar. */
    public static ImageStatistics read(Path npz, Configuration hadoop) throws IOException {
        FileSystem fs = npz.getFileSystem(hadoop);
        if (!fs.isFile(npz)) throw new IllegalArgumentException(npz + ": no such file");
        Map<String, NpyArray> arrays;
        try (InputStream in = fs.open(npz)) {
            arrays = Npz.read(in, npz.toString());
        }
        NpyArray mu = arrays.get("mu"), sigma = arrays.get("sigma");
        if (mu == null || sigma == null) {
            throw new MalformedFileException(npz.toString(), "needs arrays 'mu' and 'sigma', has " + arrays.keySet());
        }
        int d = mu.data().length;
        if (mu.shape().length != 1 || !Arrays.equals(sigma.shape(), new long[] {d, d})) {
            throw new MalformedFileException(npz.toString(), "mu must have shape (d,) and sigma (d, d), have "
                    + Arrays.toString(mu.shape()) + " and " + Arrays.toString(sigma.shape()));
        }
        Path side = sidecar(npz);
        if (!fs.exists(side)) return new ImageStatistics(mu.data(), sigma.data(), -1, "", "", npz.toString(), "");
        JsonNode m;
        try (InputStream in = fs.open(side)) {
            m = JSON.readTree(in);
        }
        return new ImageStatistics(mu.data(), sigma.data(), m.path("count").asLong(-1), m.path("features").asText(""),
                m.path("extractor").asText(""), m.path("source").asText(npz.toString()), m.path("classifier").asText(""));
    }

    /**
     * Refuses to compare these statistics with features from {@code fx}: the extractors must be the same (same kind,
     * same weights). Statistics without a sidecar (e.g. pytorch-fid's) are accepted only for 2048-d Inception features.
     */
    public void requireExtractor(FeatureExtractor fx, String what) {
        if (dimension() != fx.dimension()) {
            throw new IllegalArgumentException(what + " " + source + " has " + dimension() + "-d features but "
                    + fx.kind() + " features are " + fx.dimension() + "-d: statistics from different feature extractors "
                    + "cannot be compared");
        }
        if (extractorId.isEmpty()) {
            if (!fx.kind().equals("inception")) {
                throw new IllegalArgumentException(what + " " + source + " does not record its feature extractor (no "
                        + "sidecar .json); only Inception statistics (e.g. pytorch-fid's) can be used without one, not "
                        + fx.kind() + " features");
            }
            return;
        }
        if (!extractorId.equals(fx.id())) {
            throw new IllegalArgumentException(what + " " + source + " was computed with feature extractor " + extractorId
                    + " but these features come from " + fx.id() + " (" + fx.source() + "): statistics from different "
                    + "feature extractors cannot be compared; use the same fid.classifier / fid.inception-weights for both");
        }
    }
}
