package org.atdiff.prep;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.atdiff.io.MalformedFileException;
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

/**
 * MNIST-style IDX files (LeCun et al., "The MNIST database"), raw or gzipped: an images file
 * ({@code *-images-idx3-ubyte[.gz]}: magic 0x00000803, count, rows, cols, then unsigned bytes; or idx4 with a
 * trailing channel dimension, HWC) and its labels file ({@code *-labels-idx1-ubyte[.gz]}, magic 0x00000801),
 * found by name. The path is an images file or a folder of them. Files named {@code t10k*} or {@code *test*}
 * are the test split, {@code train*} the train split. Ids run through the images files, train before test.
 * Headers and label counts are checked on the driver; a missing labels file leaves the labels at -1.
 */
final class IdxSource implements ImageSource {
    private static final List<String> FASHION = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** The dimensions after the magic number of an IDX file. */
    record Header(int[] dims) {
        int headerBytes() {
            return 4 + 4 * dims.length;
        }

        long count() {
            return dims[0];
        }

        /** Bytes of one record: the product of the dimensions after the count (checked to fit an int on reading). */
        long recordBytes() {
            long n = 1;
            for (int i = 1; i < dims.length; i++) n *= dims[i];
            return n;
        }

        /** Header plus data: what a raw file of this header must hold. */
        long fileBytes() {
            return headerBytes() + count() * recordBytes();
        }
    }

    /** An images file, its labels file (or null) and its header. */
    private record ImageFile(Path images, Path labels, Header header) {}

    static boolean isImagesFile(String name) {
        return name.toLowerCase(Locale.ROOT).matches(".*idx[34]-ubyte(\\.gz)?");
    }

    static String labelsFileName(String imagesName) {
        return imagesName.replace("images", "labels").replaceAll("idx[34]-ubyte", "idx1-ubyte");
    }

    static String splitOf(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.startsWith("t10k") || n.contains("test")) return DatasetSplit.TEST.configName();
        if (n.startsWith("train")) return DatasetSplit.TRAIN.configName();
        return null;
    }

    @Override
    public SourceImages read(SparkSession spark, PrepSettings s) {
        SparkContext sc = spark.sparkContext();
        Configuration hadoop = sc.hadoopConfiguration();
        String in = s.inputPath();
        FileStatus root = InputFormat.status(in, hadoop);
        List<RecordRange> ranges = new ArrayList<>();
        int maxLabel = -1;
        boolean labelled = false;
        try {
            FileSystem fs = root.getPath().getFileSystem(hadoop);
            List<Path> images = new ArrayList<>();
            if (root.isFile()) {
                images.add(root.getPath());
            } else {
                for (FileStatus f : fs.listStatus(root.getPath())) {
                    if (f.isFile() && isImagesFile(f.getPath().getName())) images.add(f.getPath());
                }
            }
            if (images.isEmpty()) {
                throw new IllegalArgumentException("input " + in + ": no IDX image files (*-images-idx3-ubyte[.gz]) found");
            }
            images.sort(Comparator.comparing((Path p) -> DatasetSplit.TEST.configName().equals(splitOf(p.getName())))
                    .thenComparing(Path::getName));
            List<ImageFile> files = new ArrayList<>();
            long total = 0;
            for (Path img : images) {
                Header h = imagesHeader(img, hadoop);
                Path labels = new Path(img.getParent(), labelsFileName(img.getName()));
                if (labels.getName().equals(img.getName()) || !fs.exists(labels)) {
                    labels = null;
                } else {
                    Header lh = labelsHeader(labels, hadoop);
                    if (lh.count() != h.count()) {
                        throw new IllegalArgumentException("input " + in + ": " + labels + " holds " + lh.count()
                                + " labels but " + img + " holds " + h.count() + " images");
                    }
                    maxLabel = Math.max(maxLabel, maxLabel(HadoopFiles.openAt(labels, hadoop, lh.headerBytes()), lh,
                            labels.toString()));
                    labelled = true;
                }
                files.add(new ImageFile(img, labels, h));
                total += h.count();
            }
            int partitions = s.partitions() > 0 ? s.partitions() : sc.defaultParallelism();
            int chunk = RecordRange.chunkSize(total, partitions);
            long firstId = 0;
            for (ImageFile f : files) {
                ranges.addAll(RecordRange.cut(f.images().toString(), f.labels() == null ? null : f.labels().toString(),
                        f.header().count(), firstId, splitOf(f.images().getName()), chunk));
                firstId += f.header().count();
            }
        } catch (MalformedFileException e) {
            throw new IllegalArgumentException("input " + in + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("input " + in + ": " + e.getMessage(), e);
        }
        List<String> names = !labelled ? List.of()
                : in.toLowerCase(Locale.ROOT).contains("fashion") && maxLabel < FASHION.size() ? FASHION
                : IntStream.rangeClosed(0, maxLabel).mapToObj(String::valueOf).toList();
        Broadcast<SerializableConfiguration> conf = JavaSparkContext.fromSparkContext(sc)
                .broadcast(new SerializableConfiguration(hadoop));
        JavaRDD<SourceRecord> records = JavaSparkContext.fromSparkContext(sc).parallelize(ranges, ranges.size())
                .flatMap(r -> read(r, conf.value().value()).iterator());
        return new SourceImages(records, names);
    }

    /** The header of an images file (count x rows x cols [x 1 or 3 channels]), its length checked when raw. */
    private static Header imagesHeader(Path file, Configuration conf) throws IOException {
        try (InputStream in = HadoopFiles.openAt(file, conf, 0)) {
            return imagesHeader(in, HadoopFiles.isGzip(file, conf) ? -1 : lengthOf(file, conf), file.toString());
        }
    }

    /** The header of a labels file (count), its length checked when raw. */
    private static Header labelsHeader(Path file, Configuration conf) throws IOException {
        try (InputStream in = HadoopFiles.openAt(file, conf, 0)) {
            return labelsHeader(in, HadoopFiles.isGzip(file, conf) ? -1 : lengthOf(file, conf), file.toString());
        }
    }

    private static long lengthOf(Path file, Configuration conf) throws IOException {
        return file.getFileSystem(conf).getFileStatus(file).getLen();
    }

    /**
     * Reads and checks an images file's header from {@code in} (the file's first bytes): 3 dimensions, or 4 with 1 or
     * 3 channels, none zero, a record of at most 2^31 - 16 bytes; {@code length} is the raw file's size in bytes, which
     * must be header plus data, or -1 when unknown (gzipped).
     */
    static Header imagesHeader(InputStream in, long length, String source) throws IOException {
        Header h = header(in, source);
        int[] d = h.dims();
        if (d.length != 3 && !(d.length == 4 && (d[3] == 1 || d[3] == 3))) {
            throw new MalformedFileException(source, "not an IDX image file (dimensions " + Arrays.toString(d)
                    + "; want count x rows x cols [x 1 or 3 channels])");
        }
        if (d[0] == 0 || d[1] == 0 || d[2] == 0) throw new MalformedFileException(source, "holds no images");
        if (h.recordBytes() > Integer.MAX_VALUE - 16) {
            throw new MalformedFileException(source, "images of " + Arrays.toString(Arrays.copyOfRange(d, 1, d.length))
                    + " bytes are too large (" + h.recordBytes() + " bytes each)");
        }
        checkLength(h, length, source);
        return h;
    }

    /** Reads and checks a labels file's header (one dimension, the count); {@code length} as for images. */
    static Header labelsHeader(InputStream in, long length, String source) throws IOException {
        Header h = header(in, source);
        if (h.dims().length != 1) {
            throw new MalformedFileException(source, "not an IDX label file (dimensions " + Arrays.toString(h.dims()) + ")");
        }
        checkLength(h, length, source);
        return h;
    }

    /** The magic number (0x0000 08 nn: unsigned bytes, nn = 1..4 dimensions) and the dimensions, big-endian. */
    private static Header header(InputStream stream, String source) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        try {
            int magic = in.readInt();
            int type = (magic >>> 8) & 0xFF;
            int dims = magic & 0xFF;
            if ((magic >>> 16) != 0 || type != 0x08 || dims < 1 || dims > 4) {
                throw new MalformedFileException(source, "not an IDX file of unsigned bytes (magic 0x"
                        + String.format("%08x", magic) + ")");
            }
            int[] d = new int[dims];
            for (int i = 0; i < dims; i++) {
                d[i] = in.readInt();
                if (d[i] < 0) throw new MalformedFileException(source, "has a negative dimension (" + d[i] + ")");
            }
            return new Header(d);
        } catch (EOFException e) {
            throw new MalformedFileException(source, "too short for an IDX header");
        }
    }

    /** A raw file (length >= 0) must be exactly header + data long. */
    private static void checkLength(Header h, long length, String source) throws MalformedFileException {
        if (length >= 0 && length != h.fileBytes()) {
            throw new MalformedFileException(source, length + " bytes but its IDX header " + Arrays.toString(h.dims())
                    + " needs " + h.fileBytes());
        }
    }

    /** The largest of a labels file's {@code h.count()} labels, read from {@code in} (just after the header). */
    static int maxLabel(InputStream labels, Header h, String source) throws IOException {
        int max = -1;
        try (InputStream in = labels) {
            byte[] buf = new byte[1 << 16];
            long left = h.count();
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) throw new MalformedFileException(source, "truncated: " + left + " labels missing");
                for (int i = 0; i < n; i++) max = Math.max(max, buf[i] & 0xFF);
                left -= n;
            }
        }
        return max;
    }

    private static List<SourceRecord> read(RecordRange r, Configuration conf) throws IOException {
        Path file = new Path(r.file());
        Header h;
        try (InputStream in = HadoopFiles.openAt(file, conf, 0)) {
            h = imagesHeader(in, -1, r.file()); // checked on the driver, length included
        }
        InputStream labels = null;
        try (InputStream in = HadoopFiles.openAt(file, conf, h.headerBytes() + r.first() * h.recordBytes())) {
            if (r.labelsFile() != null) labels = HadoopFiles.openAt(new Path(r.labelsFile()), conf, 8 + r.first());
            return records(in, labels, h, r);
        } finally {
            if (labels != null) labels.close();
        }
    }

    /**
     * The records of {@code r} from {@code in} (at its first record) and {@code labels} (at its first label, or
     * null): a record or a label cut short by the end of its file is an unreadable record, with the reason.
     */
    static List<SourceRecord> records(InputStream in, InputStream labels, Header h, RecordRange r) throws IOException {
        int rows = h.dims()[1], cols = h.dims()[2], ch = h.dims().length == 4 ? h.dims()[3] : 1;
        int bytes = (int) h.recordBytes();
        List<SourceRecord> out = new ArrayList<>(r.count());
        try {
            for (int i = 0; i < r.count(); i++) {
                long id = r.firstId() + i;
                String source = r.file() + "#" + (r.first() + i);
                byte[] rec = in.readNBytes(bytes);
                int label = labels == null ? -1 : labels.read();
                if (rec.length < bytes) {
                    out.add(SourceRecord.unreadable(id, source, "truncated record (" + rec.length + " of " + bytes + " bytes)"));
                } else if (labels != null && label < 0) {
                    out.add(SourceRecord.unreadable(id, source, "labels file " + r.labelsFile() + " is truncated"));
                } else {
                    out.add(SourceRecord.raw(id, label, source, r.split(), new Pixels(ch, rows, cols, toChw(rec, rows, cols, ch))));
                }
            }
        } catch (EOFException e) { // a gzip stream cut short
            for (long i = out.size(); i < r.count(); i++) {
                out.add(SourceRecord.unreadable(r.firstId() + i, r.file() + "#" + (r.first() + i), "truncated file: " + e));
            }
        }
        return out;
    }

    private static byte[] toChw(byte[] hwc, int rows, int cols, int ch) {
        if (ch == 1) return hwc;
        byte[] chw = new byte[hwc.length];
        int plane = rows * cols;
        for (int p = 0; p < plane; p++) for (int c = 0; c < ch; c++) chw[c * plane + p] = hwc[p * ch + c];
        return chw;
    }
}
