package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.atdiff.io.MalformedFileException;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prepared-dataset layer: what prep writes reads back image for image, split by split; bad folders are named. */
class PreparedDatasetTest {
    private static final int COUNT = 40, SIZE = 8;
    private static final long SEED = 3, SPLIT_SEED = 11;
    private static final double TEST_FRACTION = 0.3;

    @TempDir
    static File dir;
    static SparkSession spark;
    static String data;
    static final Configuration HADOOP = new Configuration();

    @BeforeAll
    static void prepare() throws Exception {
        spark = LocalSpark.start("PreparedDatasetTest");
        data = new File(dir, "shapes").toString();
        DatasetPrep.run(spark, PrepSettingsBuilder.of(BuiltinShapesSource.SHAPES, data).builtinCount(COUNT)
                .builtinSeed(SEED).imageSize(SIZE).testFraction(TEST_FRACTION).splitSeed(SPLIT_SEED).build());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void everyImageReadsBackAsPrepWroteItWithItsLabel() throws Exception {
        PreparedDataset d = PreparedDataset.open(data, HADOOP);
        assertEquals(COUNT, d.manifest().rows());
        List<DatasetImage> all = d.collectImages(spark, DatasetSplit.ALL);
        assertEquals(COUNT, all.size());
        for (int i = 0; i < COUNT; i++) {
            ShapesDataset.Sample want = ShapesDataset.render(i, SIZE, SEED);
            DatasetImage got = all.get(i);
            assertEquals(i, got.id());
            assertEquals(want.label(), got.label(), "label of image " + i);
            assertEquals("3x8x8", got.shape());
            assertArrayEquals(want.pixels().chw(), got.pixels().chw(), "pixels of image " + i);
        }
    }

    @Test
    void splitFiltersPartitionTheImagesAsTheManifestCountsThem() throws Exception {
        PreparedDataset d = PreparedDataset.open(data, HADOOP);
        List<Long> train = ids(d.collectImages(spark, DatasetSplit.TRAIN)), test = ids(d.collectImages(spark, DatasetSplit.TEST));
        assertEquals(Map.of("train", (long) train.size(), "test", (long) test.size()), d.manifest().split());
        assertFalse(train.isEmpty() || test.isEmpty(), "both splits hold images: " + train + " " + test);
        for (long id = 0; id < COUNT; id++) {
            String split = TrainTestSplit.of(id, TEST_FRACTION, SPLIT_SEED);
            assertEquals(split.equals("train"), train.contains(id), "image " + id + " in train");
            assertEquals(split.equals("test"), test.contains(id), "image " + id + " in test");
        }
        assertArrayEquals(train.stream().mapToLong(Long::longValue).toArray(), d.sortedIds(spark, DatasetSplit.TRAIN));
        List<DatasetImage> first = new ArrayList<>(d.firstImages(spark, DatasetSplit.TEST, 3).collect());
        assertEquals(test.subList(0, 3), ids(first.stream().sorted((a, b) -> Long.compare(a.id(), b.id())).toList()));
        assertEquals(test.size(), d.firstImages(spark, DatasetSplit.TEST, 0).count(), "count 0 reads the whole split");
    }

    @Test
    void splitNamesParseAndOthersAreRefusedByKey() {
        assertEquals(DatasetSplit.TEST, DatasetSplit.parse("test", "data.split"));
        assertEquals("all", DatasetSplit.ALL.toString());
        String m = assertThrows(IllegalArgumentException.class, () -> DatasetSplit.parse("val", "nll.split")).getMessage();
        assertEquals("nll.split 'val' is not one of train, test, all", m);
    }

    @Test
    void aBatchGathersImagesAndNamesTheFirstOfAnotherShape() throws Exception {
        List<DatasetImage> images = PreparedDataset.open(data, HADOOP).collectImages(spark, DatasetSplit.ALL).subList(0, 3);
        ImageBatch b = ImageBatch.of(images);
        assertEquals(3, b.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(images.get(i).id(), b.ids()[i]);
            assertEquals(images.get(i).label(), b.labels()[i]);
            for (int j = 0; j < 192; j++) assertEquals(images.get(i).pixels().chw()[j], b.pixels()[i * 192 + j]);
        }
        try (PointerScope scope = new PointerScope()) {
            float[] x = HostTensors.toFloats(b.tensor());
            for (int j = 0; j < x.length; j++) assertEquals((b.pixels()[j] & 0xff) / 127.5f - 1f, x[j], 0f);
            assertArrayEquals(new long[] {3, 3, 8, 8}, HostTensors.shape(b.tensor()));
        }
        List<DatasetImage> mixed = new ArrayList<>(images);
        mixed.add(new DatasetImage(77, -1, new Pixels(1, 8, 8, new byte[64])));
        String m = assertThrows(IllegalArgumentException.class, () -> ImageBatch.of(mixed, 3, 8, 8, "the model takes"))
                .getMessage();
        assertEquals("image 77 is 1x8x8 but the model takes 3x8x8", m);
    }

    @Test
    void anImageSetRoundTrips() throws Exception {
        List<PreparedImage> written = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            written.add(PreparedImage.inImageSet(i, i % 2, ShapesDataset.render(i + 100, SIZE, SEED).pixels(), "set#" + i));
        }
        Path folder = new Path(new File(dir, "set").toURI());
        PreparedDataset.writeImageSet(spark, JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(written, 2),
                folder);
        assertFalse(PreparedDataset.isAt(folder.toString(), HADOOP), "an image set has no manifest");
        List<DatasetImage> back = new ArrayList<>(PreparedDataset.imageSet(spark, folder).collect());
        back.sort((a, b) -> Long.compare(a.id(), b.id()));
        assertEquals(5, back.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(i % 2, back.get(i).label());
            assertArrayEquals(written.get(i).pixels().chw(), back.get(i).pixels().chw());
        }
    }

    @Test
    void foldersThatAreNoPreparedDatasetAreErrorsNamingThem() throws Exception {
        String missing = new File(dir, "nowhere").toString();
        String m = assertThrows(IllegalArgumentException.class, () -> PreparedDataset.open(missing, HADOOP)).getMessage();
        assertTrue(m.contains(missing) && m.contains("does not exist"), m);

        File empty = new File(dir, "empty");
        assertTrue(empty.mkdirs());
        m = assertThrows(IllegalArgumentException.class, () -> PreparedDataset.open(empty.toString(), HADOOP)).getMessage();
        assertEquals(empty + " is not a prepared dataset: no manifest.json", m);

        File other = new File(dir, "other-format");
        assertTrue(new File(other, "data").mkdirs());
        String json = Files.readString(new File(data, "manifest.json").toPath())
                .replace("\"atdiff-dataset/1\"", "\"someone-elses/2\"");
        Files.writeString(new File(other, "manifest.json").toPath(), json);
        m = assertThrows(MalformedFileException.class, () -> PreparedDataset.open(other.toString(), HADOOP)).getMessage();
        assertTrue(m.contains(new File(other, "manifest.json").toString()) && m.contains("'someone-elses/2'")
                && m.contains("atdiff-dataset/1"), m);

        File noData = new File(dir, "no-data");
        assertTrue(noData.mkdirs());
        Files.copy(new File(data, "manifest.json").toPath(), new File(noData, "manifest.json").toPath());
        m = assertThrows(IllegalArgumentException.class, () -> PreparedDataset.open(noData.toString(), HADOOP)).getMessage();
        assertTrue(m.contains(noData.toString()) && m.contains("data/"), m);
    }

    @Test
    void anImageOfAnotherShapeThanTheManifestSaysIsNamed() throws Exception {
        File lying = new File(dir, "lying");
        org.apache.commons.io.FileUtils.copyDirectory(new File(data), lying);
        File manifest = new File(lying, "manifest.json");
        String json = Files.readString(manifest.toPath(), StandardCharsets.UTF_8);
        Files.writeString(manifest.toPath(), json.replace("\"height\" : 8", "\"height\" : 16"));
        Files.deleteIfExists(new File(lying, ".manifest.json.crc").toPath());
        PreparedDataset d = PreparedDataset.open(lying.toString(), HADOOP);
        assertEquals(16, d.manifest().height());
        Exception e = assertThrows(Exception.class, () -> d.images(spark, DatasetSplit.ALL).collect());
        String chain = messages(e);
        assertTrue(chain.contains("is 3x8x8 but " + lying + "'s manifest.json says 3x16x8"), chain);
    }

    private static String messages(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) s.append(t.getMessage()).append(" | ");
        return s.toString();
    }

    private static List<Long> ids(List<DatasetImage> images) {
        return images.stream().map(DatasetImage::id).toList();
    }
}
