package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preps the real Fashion-MNIST test set (Debian package dataset-fashion-mnist), when installed. */
class FashionMnistIntegrationTest {
    static final File DIR = new File("/usr/share/datasets/fashion-mnist");
    static final File TEST_IMAGES = new File(DIR, "t10k-images-idx3-ubyte.gz");
    static SparkSession spark;
    @TempDir
    File dir;

    @BeforeAll
    static void start() {
        assumeTrue(TEST_IMAGES.isFile(), "Fashion-MNIST not installed at " + DIR);
        spark = LocalSpark.start("FashionMnistIntegrationTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @Test
    void testSetGivesTenThousandRowsAThousandPerLabel() throws Exception {
        File out = new File(dir, "fmnist");
        Manifest m = DatasetPrep.run(spark, PrepSettingsBuilder.of(TEST_IMAGES.toString(), out.toString())
                .imageSize(28).channels(1).build());
        assertEquals("idx", m.inputFormat());
        assertEquals(10_000, m.rows());
        assertEquals(0, m.rejected());
        assertEquals(10, m.labels().size());
        m.labels().forEach((label, n) -> assertEquals(1000L, n, "label " + label));
        assertEquals("Ankle boot", m.labelNames().get(9));
        assertEquals(10_000L, m.split().get("test"));
        assertEquals(28, m.height());
        assertEquals(1, m.channels());
        assertEquals(1, m.pixelMean().length);
        assertTrue(m.pixelMean()[0] > 60 && m.pixelMean()[0] < 80, "mean " + m.pixelMean()[0]); // about 73 for Fashion-MNIST
        Dataset<Row> data = spark.read().parquet(new File(out, "data").toString());
        assertEquals(10_000, data.count());
        Row r = data.where("id = 0").first();
        assertEquals(28, r.getInt(r.fieldIndex("height")));
        assertEquals(28, r.getInt(r.fieldIndex("width")));
        assertEquals(1, r.getInt(r.fieldIndex("channels")));
        assertEquals(28 * 28, ((byte[]) r.get(r.fieldIndex("pixels"))).length);
        assertEquals(9, r.getInt(r.fieldIndex("label"))); // the first t10k image is an ankle boot
    }
}
