package org.atdiff.jobs.fid;

import org.atdiff.prep.PrepSettingsBuilder;
import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.atdiff.io.NpyArray;
import org.atdiff.io.Npz;
import org.atdiff.jobs.sample.TinyRuns;
import org.atdiff.train.ClassifierTraining;
import org.atdiff.nn.FeatureClassifier;
import org.atdiff.prep.DatasetPrep;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.DatasetSplit;
import org.atdiff.prep.Pixels;
import org.atdiff.prep.PreparedDataset;
import org.atdiff.prep.PrepSettings;
import org.atdiff.random.RandomStream;
import org.atdiff.stats.FeatureMoments;
import org.atdiff.stats.FrechetDistance;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The distributed statistics pass, the FD it feeds, and the extractor check of statistics files. */
class FeatureStatisticsTest {
    @TempDir
    static File dir;
    static SparkSession spark;
    static String data;

    @BeforeAll
    static void start() throws Exception {
        torch.set_num_threads(1);
        spark = TinyRuns.spark();
        data = new File(dir, "shapes").toString();
        DatasetPrep.run(spark, PrepSettingsBuilder.of("builtin:shapes", data).builtinCount(1000).imageSize(16).build());
    }

    private static PreparedDataset dataset() throws java.io.IOException {
        return PreparedDataset.open(data, new Configuration());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void partitionedAggregationEqualsOnePass() throws Exception {
        FeatureClassifier c = new FeatureClassifier(3, 16, 8, 4, 3);
        FeatureExtractor fx = FeatureExtractor.classifier(c, "random");
        JavaRDD<DatasetImage> images = dataset().images(spark, DatasetSplit.ALL).repartition(3);
        FeatureMoments distributed = FeatureStatistics.compute(spark, images, fx, 7, 1).moments();

        List<DatasetImage> rows = images.collect();
        byte[] all = new byte[rows.size() * 768];
        for (int i = 0; i < rows.size(); i++) System.arraycopy(rows.get(i).pixels().chw(), 0, all, i * 768, 768);
        FeatureMoments single = new FeatureMoments(16);
        try (PointerScope scope = new PointerScope()) {
            single.add(c.features(HostTensors.fromPixels(all, rows.size(), 3, 16, 16)));
        }
        assertEquals(1000, distributed.count());
        double[] m1 = distributed.mean(), m2 = single.mean(), c1 = distributed.covariance(), c2 = single.covariance();
        for (int i = 0; i < m1.length; i++) assertEquals(m2[i], m1[i], 1e-6 * (1 + Math.abs(m2[i])), "mean " + i);
        for (int i = 0; i < c1.length; i++) assertEquals(c2[i], c1[i], 1e-6 * (1e-3 + Math.abs(c2[i])), "cov " + i);
    }

    @Test
    void halvesOfTheDataAreMuchCloserThanNoise() throws Exception {
        ClassifierTraining.Result r = DatasetClassifier.train(spark, data, new ClassifierTraining.Settings(6, 32, 3e-3, 8, 0));
        assertTrue(r.testAccuracy() > 0.15, "better than chance (0.1) on 10 shapes: " + r.testAccuracy());
        FeatureExtractor fx = FeatureExtractor.classifier(r.classifier(), "trained");
        JavaRDD<DatasetImage> all = dataset().images(spark, DatasetSplit.ALL);
        FeatureMoments first = FeatureStatistics.compute(spark, all.filter(i -> i.id() % 20 < 10), fx, 50, 1).moments();
        FeatureMoments second = FeatureStatistics.compute(spark, all.filter(i -> i.id() % 20 >= 10), fx, 50, 1).moments();
        List<DatasetImage> noise = new ArrayList<>();
        RandomStream rng = new RandomStream(1);
        for (int i = 0; i < 500; i++) {
            byte[] px = new byte[768];
            for (int j = 0; j < px.length; j++) px[j] = (byte) rng.nextInt(256);
            noise.add(new DatasetImage(i, -1, new Pixels(3, 16, 16, px)));
        }
        FeatureStatistics.Pass noisePass = FeatureStatistics.compute(spark,
                JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(noise), fx, 50, 1);
        FeatureMoments noisy = noisePass.moments();
        assertEquals(0, noisePass.labelled(), "unlabelled images are not counted");
        assertTrue(Double.isNaN(noisePass.accuracy()));

        // labelled images: the pass counts the classifier's agreement with their labels, as its own test does
        FeatureStatistics.Pass test = FeatureStatistics.compute(spark, dataset().images(spark, DatasetSplit.TEST), fx, 13, 1);
        assertEquals(test.moments().count(), test.labelled());
        assertEquals(r.testAccuracy(), test.accuracy(), 1.5 / test.labelled(), "agreement = the classifier's test accuracy");
        double halves = FrechetDistance.between(first, second), againstNoise = FrechetDistance.between(first, noisy);
        assertTrue(halves * 10 < againstNoise, "FD(halves) " + halves + " vs FD(noise) " + againstNoise);
    }

    @Test
    void statisticsFilesRecordAndCheckTheirExtractor() throws Exception {
        FeatureExtractor a = FeatureExtractor.classifier(new FeatureClassifier(3, 16, 8, 2, 1), "a.safetensors");
        FeatureExtractor b = FeatureExtractor.classifier(new FeatureClassifier(3, 16, 8, 2, 2), "b.safetensors");
        FeatureMoments m = FeatureStatistics.compute(spark, dataset().images(spark, DatasetSplit.TEST), a, 16, 1).moments();
        Path npz = new Path(new File(dir, "a.npz").toURI());
        ImageStatistics.of(m, a, "shapes").write(npz, new Configuration());
        ImageStatistics back = ImageStatistics.read(npz, new Configuration());
        assertEquals(a.id(), back.extractorId());
        assertEquals(m.count(), back.count());
        assertArrayEquals(m.mean(), back.mu());
        assertArrayEquals(m.covariance(), back.sigma());
        back.requireExtractor(a, "reference");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> back.requireExtractor(b, "reference"));
        assertTrue(e.getMessage().contains("different feature extractors"), e.getMessage());

        File foreign = new File(dir, "foreign.npz"); // e.g. pytorch-fid's: no sidecar
        Npz.write(foreign.toPath(), java.util.Map.of("mu", NpyArray.float64(m.mean(), 8),
                "sigma", NpyArray.float64(m.covariance(), 8, 8)));
        ImageStatistics f = ImageStatistics.read(new Path(foreign.toURI()), new Configuration());
        assertEquals("", f.extractorId());
        e = assertThrows(IllegalArgumentException.class, () -> f.requireExtractor(a, "reference"));
        assertTrue(e.getMessage().contains("does not record its feature extractor"), e.getMessage());
    }
}
