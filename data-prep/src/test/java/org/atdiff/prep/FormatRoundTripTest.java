package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every input format: pixels, labels, splits and names survive prep exactly (JPEG within a tolerance). */
class FormatRoundTripTest {
    static SparkSession spark;
    @TempDir
    File dir;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start("FormatRoundTripTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private Manifest prep(PrepSettingsBuilder b) throws Exception {
        return DatasetPrep.run(spark, b.build());
    }

    private PrepSettingsBuilder settings(File input, String out) {
        return PrepSettingsBuilder.of(input.toString(), new File(dir, out).toString());
    }

    /** Output rows by id. */
    private TreeMap<Long, Row> rows(String out) {
        TreeMap<Long, Row> m = new TreeMap<>();
        for (Row r : spark.read().parquet(new File(dir, out + "/data").toString()).collectAsList()) m.put(r.getLong(0), r);
        return m;
    }

    @Test
    void folderOfPngsByClass() throws Exception {
        File in = new File(dir, "pngs");
        List<Pixels> cats = new ArrayList<>(), dogs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            cats.add(TinyInputs.random(3, 8, 8, i));
            TinyInputs.write(new File(in, "cat/c" + i + ".png"), TinyInputs.encode(cats.get(i), "png"));
        }
        for (int i = 0; i < 2; i++) {
            dogs.add(TinyInputs.random(3, 8, 8, 10 + i));
            TinyInputs.write(new File(in, "dog/sub/d" + i + ".PNG"), TinyInputs.encode(dogs.get(i), "png"));
        }
        TinyInputs.write(new File(in, "dog/notes.txt"), "not an image".getBytes());
        Manifest m = prep(settings(in, "out").imageSize(8));
        assertEquals(5, m.rows());
        assertEquals(0, m.rejected());
        assertEquals(List.of("cat", "dog"), m.labelNames());
        assertEquals(Map.of(0, 3L, 1, 2L), m.labels());
        assertEquals("folder", m.inputFormat());
        TreeMap<Long, Row> rows = rows("out");
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), new ArrayList<>(rows.keySet())); // ids = rank of the sorted path
        for (int i = 0; i < 3; i++) {
            Row r = rows.get((long) i);
            assertEquals(0, r.getInt(r.fieldIndex("label")));
            assertEquals("cat", r.getString(r.fieldIndex("label_name")));
            assertTrue(r.getString(r.fieldIndex("source")).endsWith("cat/c" + i + ".png"));
            assertArrayEquals(cats.get(i).chw(), DatasetImage.of(r).pixels().chw());
        }
        Row d1 = rows.get(4L);
        assertEquals(1, d1.getInt(d1.fieldIndex("label")));
        assertArrayEquals(dogs.get(1).chw(), DatasetImage.of(d1).pixels().chw());
        assertEquals(3, d1.getInt(d1.fieldIndex("channels")));
        assertEquals(8, d1.getInt(d1.fieldIndex("height")));
        assertTrue(new File(dir, "out/manifest.json").isFile());
        assertTrue(new File(dir, "out/rejected").isDirectory());
    }

    @Test
    void flatFolderOfJpegsIsOneUnlabelledClassWithinJpegTolerance() throws Exception {
        File in = new File(dir, "jpegs");
        List<Pixels> imgs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            imgs.add(TinyInputs.smooth(3, 16, 16, i));
            TinyInputs.write(new File(in, "img" + i + ".jpg"), TinyInputs.encode(imgs.get(i), "jpeg"));
        }
        Manifest m = prep(settings(in, "out").imageSize(16));
        assertEquals(Map.of(-1, 3L), m.labels());
        assertEquals(List.of(), m.labelNames());
        for (Map.Entry<Long, Row> e : rows("out").entrySet()) {
            byte[] want = imgs.get(e.getKey().intValue()).chw();
            byte[] got = DatasetImage.of(e.getValue()).pixels().chw();
            double err = 0;
            for (int i = 0; i < want.length; i++) err += Math.abs((want[i] & 0xFF) - (got[i] & 0xFF));
            assertTrue(err / want.length < 3, "mean abs error " + err / want.length);
            assertEquals("", e.getValue().getString(e.getValue().fieldIndex("label_name")));
        }
    }

    @Test
    void resizeAndGreyConversionAreApplied() throws Exception {
        File in = new File(dir, "big");
        Pixels p = TinyInputs.random(3, 12, 16, 4);
        TinyInputs.write(new File(in, "a/x.bmp"), TinyInputs.encode(p, "bmp"));
        prep(settings(in, "out").imageSize(6).channels(1));
        Pixels want = new ImageResizer(6, 1, ImageResizer.Filter.AREA).fit(p);
        Row r = rows("out").firstEntry().getValue();
        assertArrayEquals(want.chw(), DatasetImage.of(r).pixels().chw());
        assertEquals(1, r.getInt(r.fieldIndex("channels")));
        assertEquals(6, r.getInt(r.fieldIndex("width")));
    }

    @Test
    void cifar10BinaryKeepsBytesLabelsNamesAndItsOwnSplit() throws Exception {
        File in = new File(dir, "cifar/cifar-10-batches-bin");
        Pixels[] train = {TinyInputs.random(3, 32, 32, 1), TinyInputs.random(3, 32, 32, 2), TinyInputs.random(3, 32, 32, 3)};
        Pixels[] test = {TinyInputs.random(3, 32, 32, 4), TinyInputs.random(3, 32, 32, 5)};
        TinyInputs.writeCifar(new File(in, "data_batch_1.bin"), new int[] {3, 0, 9}, train);
        TinyInputs.writeCifar(new File(in, "test_batch.bin"), new int[] {1, 1}, test);
        Files.writeString(new File(in, "batches.meta.txt").toPath(),
                "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
        Manifest m = prep(settings(new File(dir, "cifar"), "out").imageSize(32).partitions(3));
        assertEquals("cifar10-bin", m.inputFormat());
        assertEquals(Map.of("train", 3L, "test", 2L), m.split());
        assertEquals(10, m.labelNames().size());
        TreeMap<Long, Row> rows = rows("out");
        int[] labels = {3, 0, 9, 1, 1};
        for (long id = 0; id < 5; id++) {
            Row r = rows.get(id);
            Pixels want = id < 3 ? train[(int) id] : test[(int) id - 3];
            assertArrayEquals(want.chw(), DatasetImage.of(r).pixels().chw(), "id " + id);
            assertEquals(labels[(int) id], r.getInt(r.fieldIndex("label")));
            assertEquals(id < 3 ? "train" : "test", r.getString(r.fieldIndex("split")));
        }
        assertEquals("cat", rows.get(0L).getString(rows.get(0L).fieldIndex("label_name")));
        assertTrue(rows.get(4L).getString(rows.get(4L).fieldIndex("source")).endsWith("test_batch.bin#1"));
    }

    @Test
    void idxRawAndGzippedWithTheT10kSplit() throws Exception {
        for (boolean gzip : new boolean[] {false, true}) {
            File in = new File(dir, "idx" + gzip);
            String gz = gzip ? ".gz" : "";
            Pixels[] train = new Pixels[5];
            Pixels[] test = new Pixels[3];
            for (int i = 0; i < 5; i++) train[i] = TinyInputs.random(1, 6, 6, i);
            for (int i = 0; i < 3; i++) test[i] = TinyInputs.random(1, 6, 6, 100 + i);
            TinyInputs.writeIdx(new File(in, "train-images-idx3-ubyte" + gz), new File(in, "train-labels-idx1-ubyte" + gz),
                    train, new byte[] {0, 1, 2, 3, 4}, gzip);
            TinyInputs.writeIdx(new File(in, "t10k-images-idx3-ubyte" + gz), new File(in, "t10k-labels-idx1-ubyte" + gz),
                    test, new byte[] {7, 8, 9}, gzip);
            String out = "out" + gzip;
            Manifest m = prep(settings(in, out).imageSize(6).channels(1).partitions(3));
            assertEquals("idx", m.inputFormat());
            assertEquals(8, m.rows());
            assertEquals(Map.of("train", 5L, "test", 3L), m.split());
            assertEquals(10, m.labelNames().size());
            TreeMap<Long, Row> rows = rows(out);
            for (long id = 0; id < 8; id++) {
                Row r = rows.get(id);
                Pixels want = id < 5 ? train[(int) id] : test[(int) id - 5];
                assertArrayEquals(want.chw(), DatasetImage.of(r).pixels().chw(), "gzip " + gzip + " id " + id);
                assertEquals(id < 5 ? (int) id : (int) id + 2, r.getInt(r.fieldIndex("label")));
            }
        }
    }

    @Test
    void parquetWithRawPixelsAndWithEncodedImages() throws Exception {
        StructType schema = new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.LongType)
                .add("height", DataTypes.IntegerType).add("width", DataTypes.IntegerType).add("channels", DataTypes.IntegerType);
        List<Row> input = new ArrayList<>();
        List<Pixels> imgs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Pixels p = TinyInputs.random(3, 4, 4, i);
            imgs.add(p);
            input.add(RowFactory.create(p.chw(), (long) (i % 2), 4, 4, 3));
        }
        String raw = new File(dir, "raw.parquet").toString();
        spark.createDataFrame(input, schema).coalesce(1).write().parquet(raw);
        Manifest m = prep(PrepSettingsBuilder.of(raw, new File(dir, "out").toString()).inputFormat("parquet").imageSize(4));
        assertEquals(6, m.rows());
        assertEquals(List.of("0", "1"), m.labelNames());
        for (Map.Entry<Long, Row> e : rows("out").entrySet()) {
            assertArrayEquals(imgs.get(e.getKey().intValue()).chw(), DatasetImage.of(e.getValue()).pixels().chw());
            assertEquals(e.getKey() % 2, e.getValue().getInt(1));
        }

        StructType encodedSchema = new StructType().add("img", new StructType().add("bytes", DataTypes.BinaryType)
                .add("path", DataTypes.StringType));
        List<Row> encoded = new ArrayList<>();
        for (Pixels p : imgs) encoded.add(RowFactory.create(RowFactory.create(TinyInputs.encode(p, "png"), "x.png")));
        String enc = new File(dir, "encoded").toString();
        spark.createDataFrame(encoded, encodedSchema).coalesce(1).write().parquet(enc);
        Manifest m2 = prep(PrepSettingsBuilder.of(enc, new File(dir, "out2").toString()).imageColumn("img").labelColumn("")
                .imageSize(4));
        assertEquals("parquet", m2.inputFormat());
        assertEquals(Map.of(-1, 6L), m2.labels());
        for (Map.Entry<Long, Row> e : rows("out2").entrySet()) {
            assertArrayEquals(imgs.get(e.getKey().intValue()).chw(), DatasetImage.of(e.getValue()).pixels().chw());
        }
    }

    @Test
    void builtinShapesMatchTheGeneratorAndAPreparedDatasetPrepsToTheSameChecksum() throws Exception {
        Manifest m = DatasetPrep.run(spark, PrepSettingsBuilder.of("builtin:shapes", new File(dir, "shapes").toString())
                .builtinCount(40).builtinSeed(3).build());
        assertEquals(40, m.rows());
        assertEquals(ShapesDataset.LABEL_NAMES, m.labelNames());
        assertEquals(10, m.labels().size());
        m.labels().values().forEach(n -> assertEquals(4L, n));
        for (Map.Entry<Long, Row> e : rows("shapes").entrySet()) {
            ShapesDataset.Sample s = ShapesDataset.render(e.getKey(), 32, 3);
            assertArrayEquals(s.pixels().chw(), DatasetImage.of(e.getValue()).pixels().chw());
            assertEquals(s.label(), e.getValue().getInt(1));
        }
        // A prepared dataset is itself a valid input (format auto -> parquet) and preps to the same content.
        Manifest again = DatasetPrep.run(spark, PrepSettingsBuilder.of(new File(dir, "shapes").toString(),
                new File(dir, "again").toString()).build());
        assertEquals("parquet", again.inputFormat());
        assertEquals(m.checksum(), again.checksum());
        assertEquals(m.split(), again.split());
        assertEquals(m.labelNames(), again.labelNames());
    }

    @Test
    void whiteShapesPrepToOneChannelGreyOfTheGenerator() throws Exception {
        Manifest m = DatasetPrep.run(spark, PrepSettingsBuilder.of("builtin:white-shapes",
                new File(dir, "white").toString()).builtinCount(20).imageSize(16).channels(1).build());
        assertEquals(20, m.rows());
        assertEquals(ShapesDataset.LABEL_NAMES, m.labelNames());
        for (Map.Entry<Long, Row> e : rows("white").entrySet()) {
            ShapesDataset.Sample s = ShapesDataset.render(e.getKey(), 16, 0, ShapesDataset.Palette.WHITE_ON_BLACK);
            Pixels p = DatasetImage.of(e.getValue()).pixels();
            assertEquals(1, p.channels());
            assertArrayEquals(java.util.Arrays.copyOf(s.pixels().chw(), 16 * 16), p.chw(), "grey of equal channels");
            assertEquals(s.label(), e.getValue().getInt(1));
        }
    }
}
