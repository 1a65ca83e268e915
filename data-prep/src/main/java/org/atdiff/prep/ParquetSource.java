package org.atdiff.prep;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * An existing Parquet dataset (a file, a folder of files, or a prepared dataset's folder) whose
 * {@code input.image-column} holds, per row, encoded image bytes (binary, or a struct with a binary
 * {@code bytes} field as Hugging Face datasets write it) or raw uint8 pixels in CHW order. Raw pixels take their
 * shape from integer {@code height}, {@code width}, {@code channels} columns when the input has them, else they
 * must be a square grey or RGB image. Bytes starting with a PNG, JPEG, GIF or BMP signature are decoded.
 * {@code input.label-column} holds integer labels ("" for none); optional {@code label_name} and {@code split}
 * columns are kept. Ids are the row's rank in (file path, row index in file) order.
 */
final class ParquetSource implements ImageSource {
    private static final int MAX_LABEL = 1_000_000;

    @Override
    public SourceImages read(SparkSession spark, PrepSettings s) {
        SparkContext sc = spark.sparkContext();
        String in = s.inputPath();
        FileStatus root = InputFormat.status(in, sc.hadoopConfiguration());
        Path path = root.getPath();
        String imageColumn = s.imageColumn();
        boolean prepared;
        try {
            prepared = root.isDirectory() && PreparedDataset.isAt(path.toString(), sc.hadoopConfiguration());
            if (prepared) path = PreparedDataset.dataFolder(path); // its pixels column unless another one is named
        } catch (IOException e) {
            throw new UncheckedIOException("input " + in + ": " + e.getMessage(), e);
        }
        sc.setJobDescription("prep: read the Parquet schema of " + in);
        Dataset<Row> df;
        try {
            df = spark.read().parquet(path.toString());
            df.schema();
        } catch (Exception e) {
            throw new IllegalArgumentException("input " + in + ": not a readable Parquet dataset: " + firstLine(e), e);
        }
        StructType schema = df.schema();
        List<String> columns = Arrays.asList(schema.fieldNames());
        if (!columns.contains(imageColumn) && prepared && columns.contains(DatasetSchema.PIXELS)) {
            imageColumn = DatasetSchema.PIXELS;
        }
        Column image = imageColumn(schema, imageColumn, in, columns);
        Column label = labelColumn(schema, s.labelColumn(), in, columns);
        boolean shaped = schema.apply(imageColumn).dataType() instanceof BinaryType
                && isIntegral(schema, DatasetSchema.HEIGHT) && isIntegral(schema, DatasetSchema.WIDTH)
                && isIntegral(schema, DatasetSchema.CHANNELS);
        boolean named = isString(schema, DatasetSchema.LABEL_NAME) && !s.labelColumn().isEmpty();
        Dataset<Row> rows = df.select(image.as("img"), label.as("input_label"),
                (shaped ? col(DatasetSchema.HEIGHT).cast("int") : lit(null).cast("int")).as("h"),
                (shaped ? col(DatasetSchema.WIDTH).cast("int") : lit(null).cast("int")).as("w"),
                (shaped ? col(DatasetSchema.CHANNELS).cast("int") : lit(null).cast("int")).as("c"),
                (named ? col(DatasetSchema.LABEL_NAME) : lit(null).cast("string")).as("name"),
                (isString(schema, DatasetSchema.SPLIT) ? col(DatasetSchema.SPLIT) : lit(null).cast("string")).as("own_split"),
                col("_metadata.file_path").as("file"), col("_metadata.row_index").as("row"));

        sc.setJobDescription("prep: count rows per file of " + in);
        Map<String, Long> offsets = new HashMap<>();
        long total = 0;
        TreeMap<String, Long> counts = new TreeMap<>();
        for (Row r : rows.groupBy("file").count().collectAsList()) counts.put(r.getString(0), r.getLong(1));
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            offsets.put(e.getKey(), total);
            total += e.getValue();
        }
        if (total == 0) throw new IllegalArgumentException("input " + in + ": the Parquet dataset has no rows");

        sc.setJobDescription("prep: collect the labels of " + in);
        List<String> names = labelNames(rows, named, in);
        int classes = names.size();
        return new SourceImages(rows.javaRDD().map(r -> record(r, offsets, classes)), names);
    }

    private static List<String> labelNames(Dataset<Row> rows, boolean named, String in) {
        TreeMap<Integer, String> byLabel = new TreeMap<>();
        List<Row> distinct = rows.select(col("input_label"), (named ? col("name") : col("input_label").cast("string")).as("name"))
                .where(col("input_label").geq(0)).distinct().collectAsList();
        for (Row r : distinct) {
            int l = r.getInt(0);
            if (l >= MAX_LABEL) throw new IllegalArgumentException("input " + in + ": label " + l + " is too large");
            String previous = byLabel.put(l, r.isNullAt(1) ? String.valueOf(l) : r.getString(1));
            if (previous != null && !previous.equals(byLabel.get(l))) {
                throw new IllegalArgumentException("input " + in + ": label " + l + " has two names, '" + previous + "' and '"
                        + byLabel.get(l) + "'");
            }
        }
        List<String> names = new ArrayList<>();
        int max = byLabel.isEmpty() ? -1 : byLabel.lastKey();
        for (int l = 0; l <= max; l++) names.add(byLabel.getOrDefault(l, String.valueOf(l)));
        return names;
    }

    private static SourceRecord record(Row r, Map<String, Long> offsets, int classes) {
        String file = r.getString(7);
        long rowIndex = r.getLong(8);
        long id = offsets.get(file) + rowIndex;
        String source = file + "#" + rowIndex;
        byte[] bytes = r.isNullAt(0) ? null : (byte[]) r.get(0);
        int label = r.isNullAt(1) ? -1 : r.getInt(1);
        String split = r.isNullAt(6) ? null : r.getString(6);
        if (split != null && !split.equals(DatasetSplit.TRAIN.configName()) && !split.equals(DatasetSplit.TEST.configName())) {
            split = null;
        }
        if (bytes == null || bytes.length == 0) return SourceRecord.unreadable(id, source, "no image bytes");
        if (label < -1 || label >= classes) return SourceRecord.unreadable(id, source, "label " + label + " out of range");
        if (!r.isNullAt(2) && !r.isNullAt(3) && !r.isNullAt(4)) {
            int h = r.getInt(2), w = r.getInt(3), c = r.getInt(4);
            if ((c != 1 && c != 3) || h <= 0 || w <= 0 || (long) c * h * w != bytes.length) {
                return SourceRecord.unreadable(id, source, bytes.length + " pixel bytes do not match channels x height x width = "
                        + c + "x" + h + "x" + w);
            }
            return SourceRecord.raw(id, label, source, split, new Pixels(c, h, w, bytes));
        }
        if (isEncoded(bytes)) return SourceRecord.encoded(id, label, source, split, bytes);
        for (int c : new int[] {1, 3}) {
            int side = (int) Math.round(Math.sqrt(bytes.length / (double) c));
            if ((long) c * side * side == bytes.length) {
                return SourceRecord.raw(id, label, source, split, new Pixels(c, side, side, bytes));
            }
        }
        return SourceRecord.unreadable(id, source, "neither an encoded image nor a square grey or RGB image ("
                + bytes.length + " bytes)");
    }

    /** PNG, JPEG, GIF or BMP signature. */
    static boolean isEncoded(byte[] b) {
        if (b.length < 4) return false;
        int b0 = b[0] & 0xFF, b1 = b[1] & 0xFF, b2 = b[2] & 0xFF, b3 = b[3] & 0xFF;
        return (b0 == 0x89 && b1 == 'P' && b2 == 'N' && b3 == 'G') || (b0 == 0xFF && b1 == 0xD8 && b2 == 0xFF)
                || (b0 == 'G' && b1 == 'I' && b2 == 'F' && b3 == '8') || (b0 == 'B' && b1 == 'M');
    }

    private static Column imageColumn(StructType schema, String name, String in, List<String> columns) {
        if (!columns.contains(name)) {
            throw new IllegalArgumentException("input " + in + ": no image column '" + name + "' (columns: " + columns
                    + "); set input.image-column");
        }
        DataType t = schema.apply(name).dataType();
        if (t instanceof BinaryType) return col(name);
        if (t instanceof StructType st && Arrays.asList(st.fieldNames()).contains("bytes")
                && st.apply("bytes").dataType() instanceof BinaryType) {
            return col(name + ".bytes");
        }
        throw new IllegalArgumentException("input " + in + ": image column '" + name + "' is " + t.simpleString()
                + ", not binary (encoded image or raw uint8 pixels) or a struct with a binary 'bytes' field");
    }

    private static Column labelColumn(StructType schema, String name, String in, List<String> columns) {
        if (name.isEmpty()) return lit(-1);
        if (!columns.contains(name)) {
            throw new IllegalArgumentException("input " + in + ": no label column '" + name + "' (columns: " + columns
                    + "); set input.label-column (\"\" for none)");
        }
        if (!isIntegral(schema, name)) {
            throw new IllegalArgumentException("input " + in + ": label column '" + name + "' is "
                    + schema.apply(name).dataType().simpleString() + ", not an integer");
        }
        return col(name).cast(DataTypes.IntegerType);
    }

    private static boolean isIntegral(StructType schema, String name) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) return false;
        DataType t = schema.apply(name).dataType();
        return t instanceof IntegerType || t instanceof LongType || t instanceof ShortType || t instanceof ByteType;
    }

    private static boolean isString(StructType schema, String name) {
        return Arrays.asList(schema.fieldNames()).contains(name) && schema.apply(name).dataType() instanceof StringType;
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
