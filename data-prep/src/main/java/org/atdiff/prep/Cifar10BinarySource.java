package org.atdiff.prep;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.atdiff.io.MalformedFileException;

/**
 * The CIFAR-10 binary version: {@code data_batch_1.bin ... data_batch_5.bin} (split train) and
 * {@code test_batch.bin} (split test), each a sequence of 3073-byte records (a label byte, then 1024 red,
 * 1024 green and 1024 blue bytes of a 32x32 image, row-major: already CHW), and {@code batches.meta.txt} with
 * the class names. The path is the folder holding them or its parent. Ids run through the batches in order
 * (data_batch_1 record 0 is id 0, test_batch record 0 is id 50000 with all five training batches present).
 */
final class Cifar10BinarySource implements ImageSource {
    static final String FOLDER = "cifar-10-batches-bin";
    static final int SIDE = 32;
    static final int RECORD = 1 + 3 * SIDE * SIDE;
    private static final List<String> BATCHES = List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
            "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin");

    static boolean isBatchFile(String name) {
        return BATCHES.contains(name);
    }

    @Override
    public SourceImages read(SparkSession spark, PrepSettings s) {
        SparkContext sc = spark.sparkContext();
        Configuration hadoop = sc.hadoopConfiguration();
        FileStatus root = InputFormat.status(s.inputPath(), hadoop);
        String in = s.inputPath();
        List<RecordRange> ranges = new ArrayList<>();
        List<String> names;
        try {
            if (!root.isDirectory()) throw new IllegalArgumentException("input " + in + ": CIFAR-10 binary input must be a directory");
            FileSystem fs = root.getPath().getFileSystem(hadoop);
            Path dir = root.getPath();
            if (fs.isDirectory(new Path(dir, FOLDER))) dir = new Path(dir, FOLDER);
            List<FileStatus> batches = new ArrayList<>(Arrays.stream(fs.listStatus(dir))
                    .filter(f -> f.isFile() && isBatchFile(f.getPath().getName())).toList());
            if (batches.isEmpty()) {
                throw new IllegalArgumentException("input " + in + ": no CIFAR-10 binary batches (data_batch_1.bin ... "
                        + "data_batch_5.bin, test_batch.bin) found");
            }
            batches.sort(Comparator.comparingInt(f -> BATCHES.indexOf(f.getPath().getName())));
            long total = 0;
            for (FileStatus b : batches) total += records(b.getLen(), b.getPath().toString());
            int partitions = s.partitions() > 0 ? s.partitions() : sc.defaultParallelism();
            int chunk = RecordRange.chunkSize(total, partitions);
            long firstId = 0;
            for (FileStatus b : batches) {
                long n = records(b.getLen(), b.getPath().toString());
                String split = (b.getPath().getName().startsWith("test") ? DatasetSplit.TEST : DatasetSplit.TRAIN).configName();
                ranges.addAll(RecordRange.cut(b.getPath().toString(), null, n, firstId, split, chunk));
                firstId += n;
            }
            names = labelNames(fs, new Path(dir, "batches.meta.txt"));
        } catch (MalformedFileException e) {
            throw new IllegalArgumentException("input " + in + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("input " + in + ": " + e.getMessage(), e);
        }
        Broadcast<SerializableConfiguration> conf = JavaSparkContext.fromSparkContext(sc)
                .broadcast(new SerializableConfiguration(hadoop));
        int classes = names.size();
        JavaRDD<SourceRecord> records = JavaSparkContext.fromSparkContext(sc).parallelize(ranges, ranges.size())
                .flatMap(r -> read(r, conf.value().value(), classes).iterator());
        return new SourceImages(records, names);
    }

    private static List<String> labelNames(FileSystem fs, Path meta) throws IOException {
        if (!fs.exists(meta)) {
            return List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
        }
        try (InputStream in = fs.open(meta)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
                    .filter(l -> !l.isEmpty()).toList();
        }
    }

    /** The number of records in a batch file of {@code length} bytes: a positive multiple of {@value #RECORD}. */
    static long records(long length, String source) throws MalformedFileException {
        if (length == 0 || length % RECORD != 0) {
            throw new MalformedFileException(source, "not a CIFAR-10 binary batch (length " + length
                    + " is not a multiple of " + RECORD + " bytes)");
        }
        return length / RECORD;
    }

    private static List<SourceRecord> read(RecordRange r, Configuration conf, int classes) {
        try (InputStream in = HadoopFiles.openAt(new Path(r.file()), conf, r.first() * RECORD)) {
            return records(in, r, classes);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + r.file() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The records of {@code r} from {@code in} (at its first record): a record cut short, or whose label byte is not
     * one of {@code classes}, is an unreadable record with the reason.
     */
    static List<SourceRecord> records(InputStream in, RecordRange r, int classes) throws IOException {
        List<SourceRecord> out = new ArrayList<>(r.count());
        for (int i = 0; i < r.count(); i++) {
            long id = r.firstId() + i;
            String source = r.file() + "#" + (r.first() + i);
            byte[] rec = in.readNBytes(RECORD);
            if (rec.length < RECORD) {
                out.add(SourceRecord.unreadable(id, source, "truncated record (" + rec.length + " bytes)"));
                continue;
            }
            int label = rec[0] & 0xFF;
            if (label >= classes) {
                out.add(SourceRecord.unreadable(id, source, "label byte " + label + " is not one of " + classes + " classes"));
                continue;
            }
            out.add(SourceRecord.raw(id, label, source, r.split(), new Pixels(3, SIDE, SIDE, Arrays.copyOfRange(rec, 1, RECORD))));
        }
        return out;
    }
}
