package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same input gives the same dataset and checksum, whatever the partitioning; shards are as configured. */
class DeterminismTest {
    static SparkSession spark;
    @TempDir
    File dir;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start("DeterminismTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private File folder() throws Exception {
        File in = new File(dir, "in");
        for (int i = 0; i < 12; i++) {
            TinyInputs.write(new File(in, "c" + (i % 3) + "/img" + i + ".png"),
                    TinyInputs.encode(TinyInputs.random(3, 10, 12, i), "png"));
        }
        return in;
    }

    @Test
    void sameChecksumTwiceAndAcrossPartitionCounts() throws Exception {
        File in = folder();
        List<Manifest> runs = new ArrayList<>();
        int[] partitions = {0, 0, 1, 5};
        for (int i = 0; i < partitions.length; i++) {
            runs.add(DatasetPrep.run(spark, PrepSettingsBuilder.of(in.toString(), new File(dir, "out" + i).toString())
                    .imageSize(8).resize("bicubic").partitions(partitions[i]).build()));
        }
        for (Manifest m : runs) {
            assertEquals(runs.get(0).checksum(), m.checksum());
            assertEquals(runs.get(0).split(), m.split());
            assertArrayEquals(runs.get(0).pixelMean(), m.pixelMean());
        }
        assertEquals(12, runs.get(0).rows());
        Manifest other = DatasetPrep.run(spark, PrepSettingsBuilder.of(in.toString(), new File(dir, "other").toString())
                .imageSize(8).resize("area").build());
        assertNotEquals(runs.get(0).checksum(), other.checksum());
    }

    @Test
    void builtinChecksumIsStableAcrossPartitionCountsAndTheSplitFollowsTheSeed() throws Exception {
        PrepSettingsBuilder b = PrepSettingsBuilder.of("builtin:shapes", "").builtinCount(200).testFraction(0.25);
        Manifest a = DatasetPrep.run(spark, b.partitions(1).outputPath(new File(dir, "a").toString()).build());
        Manifest c = DatasetPrep.run(spark, b.partitions(7).outputPath(new File(dir, "c").toString()).build());
        assertEquals(a.checksum(), c.checksum());
        assertEquals(a.split(), c.split());
        long test = a.split().get("test");
        assertTrue(test > 25 && test < 75, "test split " + test + " of 200 at fraction 0.25");
        Manifest d = DatasetPrep.run(spark, b.splitSeed(1).outputPath(new File(dir, "d").toString()).build());
        assertNotEquals(a.checksum(), d.checksum());
    }

    @Test
    void shardCountIsAsConfiguredAndShardsHoldSortedIdRanges() throws Exception {
        File out = new File(dir, "out");
        Manifest m = DatasetPrep.run(spark, PrepSettingsBuilder.of("builtin:shapes", out.toString()).builtinCount(90)
                .shards(3).partitions(2).build());
        assertEquals(3, m.shards());
        File[] files = new File(out, "data").listFiles((d, n) -> n.endsWith(".parquet"));
        assertEquals(3, files.length);
        long total = 0;
        for (File f : files) {
            List<Long> ids = spark.read().parquet(f.toString()).select("id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList();
            assertEquals(30, ids.size());
            for (int i = 1; i < ids.size(); i++) assertEquals(ids.get(i - 1) + 1, ids.get(i));
            total += ids.size();
        }
        assertEquals(90, total);
        Manifest auto = DatasetPrep.run(spark, PrepSettingsBuilder.of("builtin:shapes", new File(dir, "auto").toString())
                .builtinCount(90).build());
        assertEquals(1, auto.shards());
        assertEquals(m.checksum(), auto.checksum());
        Row any = spark.read().parquet(new File(dir, "auto/data").toString()).first();
        assertEquals(3 * 32 * 32, ((byte[]) any.get(any.fieldIndex("pixels"))).length);
    }
}
