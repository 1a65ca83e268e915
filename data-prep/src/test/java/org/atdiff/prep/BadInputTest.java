package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt images, the rejected-fraction limit, wrong formats, missing and empty inputs, existing outputs. */
class BadInputTest {
    static SparkSession spark;
    @TempDir
    File dir;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start("BadInputTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** A folder of n good 8x8 PNGs in class "a" plus a truncated one. */
    private File foldersWithOneTruncatedPng(int good) throws Exception {
        File in = new File(dir, "in");
        for (int i = 0; i < good; i++) {
            TinyInputs.write(new File(in, "a/g" + i + ".png"), TinyInputs.encode(TinyInputs.random(3, 8, 8, i), "png"));
        }
        byte[] png = TinyInputs.encode(TinyInputs.random(3, 8, 8, 99), "png");
        TinyInputs.write(new File(in, "a/broken.png"), Arrays.copyOf(png, png.length / 2));
        return in;
    }

    private static <T extends Throwable> String failure(Class<T> type, PrepSettings s) {
        return assertThrows(type, () -> DatasetPrep.run(spark, s)).getMessage();
    }

    @Test
    void truncatedPngIsSkippedAndRecorded() throws Exception {
        File in = foldersWithOneTruncatedPng(4);
        File out = new File(dir, "out");
        Manifest m = DatasetPrep.run(spark, PrepSettingsBuilder.of(in.toString(), out.toString()).imageSize(8)
                .maxRejectedFraction(0.25).build());
        assertEquals(4, m.rows());
        assertEquals(1, m.rejected());
        List<Row> rejected = spark.read().json(new File(out, "rejected").toString()).collectAsList();
        assertEquals(1, rejected.size());
        assertTrue(rejected.get(0).getString(rejected.get(0).fieldIndex("source")).endsWith("a/broken.png"));
        assertTrue(rejected.get(0).getString(rejected.get(0).fieldIndex("reason")).contains("corrupt"));
        assertEquals(1, Manifest.read(out.toString(), spark.sparkContext().hadoopConfiguration()).rejected());
    }

    @Test
    void zeroByteAndUnreadableFilesAreCountedAsRejectedWithTheReason() throws Exception {
        File in = new File(dir, "in");
        for (int i = 0; i < 4; i++) {
            TinyInputs.write(new File(in, "a/g" + i + ".png"), TinyInputs.encode(TinyInputs.random(3, 8, 8, i), "png"));
        }
        TinyInputs.write(new File(in, "a/empty.png"), new byte[0]);
        TinyInputs.write(new File(in, "b/locked.png"), TinyInputs.encode(TinyInputs.random(3, 8, 8, 7), "png"));
        File out = new File(dir, "out");
        spark.sparkContext().hadoopConfiguration().set("fs." + LockedFileSystem.SCHEME + ".impl",
                LockedFileSystem.class.getName());
        Manifest m = DatasetPrep.run(spark, PrepSettingsBuilder.of(LockedFileSystem.SCHEME + "://" + in, out.toString())
                .imageSize(8).maxRejectedFraction(0.5).build());
        assertEquals(4, m.rows());
        assertEquals(2, m.rejected());
        assertEquals(List.of("a", "b"), m.labelNames()); // the class of a file that cannot be read still counts
        List<Row> rejected = spark.read().json(new File(out, "rejected").toString()).sort("id").collectAsList();
        assertEquals(2, rejected.size());
        Row empty = rejected.get(0);
        Row locked = rejected.get(1);
        assertTrue(empty.getString(empty.fieldIndex("source")).endsWith("a/empty.png"), empty.toString());
        assertEquals("empty file", empty.getString(empty.fieldIndex("reason")));
        assertTrue(locked.getString(locked.fieldIndex("source")).endsWith("b/locked.png"), locked.toString());
        assertTrue(locked.getString(locked.fieldIndex("reason")).contains("Permission denied"), locked.toString());
    }

    @Test
    void tooManyRejectedImagesFailNamingOneAndWriteNothing() throws Exception {
        File in = foldersWithOneTruncatedPng(4);
        File out = new File(dir, "out");
        String msg = failure(IllegalStateException.class, PrepSettingsBuilder.of(in.toString(), out.toString()).imageSize(8).build());
        assertTrue(msg.contains("broken.png") && msg.contains("1 of 5"), msg);
        assertFalse(out.exists());
        assertEquals(List.of("in"), List.of(dir.list())); // no staging folder left behind
    }

    @Test
    void wrongFormatsFailNamingTheInput() throws Exception {
        File in = foldersWithOneTruncatedPng(1);
        String out = new File(dir, "out").toString();
        for (String format : new String[] {"idx", "cifar10-bin", "parquet"}) {
            String msg = failure(IllegalArgumentException.class,
                    PrepSettingsBuilder.of(in.toString(), out).inputFormat(format).build());
            assertTrue(msg.contains(in.toString()), format + ": " + msg);
        }
        File notIdx = TinyInputs.write(new File(dir, "x/train-images-idx3-ubyte"), "PNG? no".getBytes());
        String msg = failure(IllegalArgumentException.class, PrepSettingsBuilder.of(notIdx.toString(), out).build());
        assertTrue(msg.contains("not an IDX file") && msg.contains(notIdx.toString()), msg);
        File cifar = TinyInputs.write(new File(dir, "c/data_batch_1.bin"), new byte[3000]);
        msg = failure(IllegalArgumentException.class, PrepSettingsBuilder.of(cifar.getParent(), out).build());
        assertTrue(msg.contains("not a CIFAR-10 binary batch") && msg.contains(cifar.getParent()), msg);
        assertFalse(new File(out).exists());
    }

    @Test
    void idxLabelCountMismatchFailsNamingBothFiles() throws Exception {
        File in = new File(dir, "idx");
        Pixels[] imgs = {TinyInputs.random(1, 4, 4, 1), TinyInputs.random(1, 4, 4, 2), TinyInputs.random(1, 4, 4, 3)};
        TinyInputs.writeIdx(new File(in, "train-images-idx3-ubyte.gz"), new File(in, "train-labels-idx1-ubyte.gz"), imgs,
                new byte[] {1, 2}, true);
        String msg = failure(IllegalArgumentException.class,
                PrepSettingsBuilder.of(in.toString(), new File(dir, "out").toString()).build());
        assertTrue(msg.contains("holds 2 labels") && msg.contains("holds 3 images") && msg.contains(in.toString()), msg);
    }

    @Test
    void missingAndEmptyInputsFailNamingThePath() throws Exception {
        String out = new File(dir, "out").toString();
        File missing = new File(dir, "nowhere");
        String msg = failure(IllegalArgumentException.class, PrepSettingsBuilder.of(missing.toString(), out).build());
        assertTrue(msg.contains(missing.toString()) && msg.contains("no such"), msg);
        File empty = new File(dir, "empty");
        assertTrue(new File(empty, "sub").mkdirs());
        Files.writeString(new File(empty, "sub/readme.txt").toPath(), "no images here");
        msg = failure(IllegalArgumentException.class, PrepSettingsBuilder.of(empty.toString(), out).build());
        assertTrue(msg.contains(empty.toString()) && msg.contains("no images"), msg);
        msg = failure(IllegalArgumentException.class, PrepSettingsBuilder.of("builtin:faces", out).build());
        assertTrue(msg.contains("builtin:faces"), msg);
    }

    @Test
    void existingOutputIsRefusedUnlessOverwriteAndThenReplacedWhole() throws Exception {
        File out = new File(dir, "out");
        PrepSettingsBuilder b = PrepSettingsBuilder.of("builtin:shapes", out.toString()).builtinCount(20);
        Manifest first = DatasetPrep.run(spark, b.build());
        String msg = failure(IllegalStateException.class, b.builtinCount(30).build());
        assertTrue(msg.contains("already exists") && msg.contains("output.overwrite"), msg);
        assertEquals(first.checksum(), Manifest.read(out.toString(), spark.sparkContext().hadoopConfiguration()).checksum());
        // overwrite, but the new dataset fails: the old one stays
        File in = foldersWithOneTruncatedPng(1);
        failure(IllegalStateException.class, PrepSettingsBuilder.of(in.toString(), out.toString()).overwrite(true).build());
        assertEquals(20, Manifest.read(out.toString(), spark.sparkContext().hadoopConfiguration()).rows());
        Manifest second = DatasetPrep.run(spark, b.builtinCount(30).overwrite(true).build());
        assertEquals(30, second.rows());
        assertEquals(30, spark.read().parquet(new File(out, "data").toString()).count());
        assertEquals(List.of("in", "out"), Arrays.stream(dir.list()).sorted().toList());
    }
}
