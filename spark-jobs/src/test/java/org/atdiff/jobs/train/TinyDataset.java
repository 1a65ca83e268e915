package org.atdiff.jobs.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.atdiff.random.RandomStream;

/**
 * A prepared dataset in prep's layout ({@code data/} Parquet rows with prep's schema, {@code manifest.json}) of
 * coloured squares on a dark background, written directly with Spark for the trainer's tests.
 */
public final class TinyDataset {
    static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("id", DataTypes.LongType, false),
        DataTypes.createStructField("label", DataTypes.IntegerType, false),
        DataTypes.createStructField("label_name", DataTypes.StringType, false),
        DataTypes.createStructField("split", DataTypes.StringType, false),
        DataTypes.createStructField("height", DataTypes.IntegerType, false),
        DataTypes.createStructField("width", DataTypes.IntegerType, false),
        DataTypes.createStructField("channels", DataTypes.IntegerType, false),
        DataTypes.createStructField("pixels", DataTypes.BinaryType, false),
        DataTypes.createStructField("source", DataTypes.StringType, false),
    });

    private TinyDataset() {}

    /** {@code count} train images plus 8 test images of size x size RGB, in 3 Parquet files. */
    public static Path write(SparkSession spark, Path dir, int count, int size) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < count + 8; i++) {
            rows.add(RowFactory.create((long) i, i % 4, "class" + (i % 4), i < count ? "train" : "test", size, size, 3,
                    square(new RandomStream(99).derive(i), size), "tiny:" + i));
        }
        spark.createDataFrame(rows, SCHEMA).repartition(3).write().parquet(dir.resolve("data").toString());
        Files.writeString(dir.resolve("manifest.json"), "{\"format\": \"atdiff-dataset/1\", \"input\": \"tiny\","
                + " \"input_format\": \"parquet\", \"rows\": " + (count + 8) + ", \"rejected\": 0, \"shards\": 3,"
                + " \"height\": " + size + ", \"width\": " + size + ", \"channels\": 3,"
                + " \"labels\": {}, \"label_names\": [\"class0\", \"class1\", \"class2\", \"class3\"],"
                + " \"split\": {\"test\": 8, \"train\": " + count + "},"
                + " \"pixel_mean\": [0, 0, 0], \"pixel_std\": [1, 1, 1], \"checksum\": \"-\", \"config\": {}}");
        return dir;
    }

    /** A square of a random colour and position on a dark background, uint8 CHW. */
    static byte[] square(RandomStream r, int size) {
        byte[] chw = new byte[3 * size * size];
        int side = size / 2, x0 = r.nextInt(size - side + 1), y0 = r.nextInt(size - side + 1);
        int[] colour = {r.nextInt(256), r.nextInt(256), r.nextInt(256)};
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean in = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                    chw[(c * size + y) * size + x] = (byte) (in ? colour[c] : 20);
                }
            }
        }
        return chw;
    }
}
