package org.atdiff.jobs.fid;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.atdiff.io.SafeTensors;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.sample.TinyRuns;
import org.atdiff.nn.FidInceptionV3;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.Pixels;
import org.atdiff.random.RandomStream;
import org.atdiff.stats.FeatureMoments;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fid.features=inception: weights from fid.inception-weights, clear errors without them, 2048-d "fid" scores. */
class InceptionFeaturesTest {
    @TempDir
    File dir;

    static FidSettings settings(String... overrides) {
        return FidSettings.fromConfig(AtdiffConfig.load(null, List.of(overrides)));
    }

    @Test
    void missingOrBrokenWeightsFailNamingTheKey() throws Exception {
        SparkSession spark = TinyRuns.spark();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FeatureExtractors.resolve(spark, settings("fid.features=inception"), null, null, null));
        assertTrue(e.getMessage().contains("fid.inception-weights") && e.getMessage().contains("convert_inception_weights.py"),
                e.getMessage());
        String missing = new File(dir, "none.safetensors").toString();
        e = assertThrows(IllegalArgumentException.class, () -> FeatureExtractors.resolve(spark,
                settings("fid.features=inception", "fid.inception-weights=" + missing), null, null, null));
        assertTrue(e.getMessage().contains("fid.inception-weights") && e.getMessage().contains(missing), e.getMessage());
        File junk = new File(dir, "junk.safetensors");
        Files.writeString(junk.toPath(), "not weights");
        e = assertThrows(IllegalArgumentException.class, () -> FeatureExtractors.resolve(spark,
                settings("fid.features=inception", "fid.inception-weights=" + junk), null, null, null));
        assertTrue(e.getMessage().contains("fid.inception-weights") && e.getMessage().contains("junk.safetensors"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> settings("fid.features=clip"));
        assertTrue(e.getMessage().contains("fid.features"), e.getMessage());
    }

    @Test
    void inceptionFeaturesGiveA2048DimensionalFidStatistic() throws Exception {
        torch.set_num_threads(2);
        File weights = new File(dir, "inception.safetensors");
        try (PointerScope scope = new PointerScope()) {
            LinkedHashMap<String, Tensor> sd = new LinkedHashMap<>();
            RandomStream rng = new RandomStream(4);
            for (Map.Entry<String, long[]> e : FidInceptionV3.stateDictShapes().entrySet()) {
                long[] s = e.getValue();
                String k = e.getKey();
                Tensor t;
                if (k.endsWith("running_var") || (k.endsWith(".bn.weight"))) {
                    t = torch.ones(s);
                } else if (k.endsWith("running_mean") || k.endsWith(".bn.bias") || k.endsWith("bias")) {
                    t = torch.zeros(s);
                } else {
                    long fanIn = 1;
                    for (int i = 1; i < s.length; i++) fanIn *= s[i];
                    t = rng.normal(s).mul(new Scalar(Math.sqrt(2.0 / Math.max(fanIn, 1)))); // He et al. 2015 scale
                }
                sd.put(k, t);
            }
            SafeTensors.write(weights.toPath(), sd, Map.of());
        }
        SparkSession spark = TinyRuns.spark();
        FeatureExtractor fx = FeatureExtractors.resolve(spark,
                settings("fid.features=inception", "fid.inception-weights=" + weights), null, null, null);
        assertEquals(2048, fx.dimension());
        assertEquals("fid", fx.scoreName());
        assertTrue(fx.id().startsWith("inception:"));
        java.util.List<DatasetImage> rows = new java.util.ArrayList<>();
        RandomStream px = new RandomStream(5);
        for (int i = 0; i < 3; i++) {
            byte[] p = new byte[3 * 8 * 8];
            for (int j = 0; j < p.length; j++) p[j] = (byte) px.nextInt(256);
            rows.add(new DatasetImage(i, -1, new Pixels(3, 8, 8, p)));
        }
        FeatureMoments m = FeatureStatistics.compute(spark,
                JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 2),
                fx, 2, 1).moments();
        assertEquals(3, m.count());
        ImageStatistics stats = ImageStatistics.of(m, fx, "noise");
        for (double v : stats.sigma()) assertTrue(Double.isFinite(v));
        Path npz = new Path(new File(dir, "noise.npz").toURI());
        stats.write(npz, spark.sparkContext().hadoopConfiguration());
        ImageStatistics.read(npz, spark.sparkContext().hadoopConfiguration()).requireExtractor(fx, "reference");
    }
}
