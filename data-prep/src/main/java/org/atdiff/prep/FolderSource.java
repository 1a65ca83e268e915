package org.atdiff.prep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * An image tree: {@code <root>/<class>/...*.png|jpg|jpeg|bmp|gif}, the class being the first folder under the
 * root (labels are the sorted class names' indices); images directly under the root have label -1, so a flat
 * folder is one unlabelled class. Files are listed on the driver through the Hadoop FileSystem API (without
 * reading them; empty files included, so that they are counted as rejected), sorted by path so that ids are the
 * rank of the path, and read in parallel by the tasks.
 */
final class FolderSource implements ImageSource {
    static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    @Override
    public SourceImages read(SparkSession spark, PrepSettings s) {
        return read(spark, s.inputPath(), s.partitions());
    }

    /** The images under {@code inputPath} in {@code partitions} read partitions (0 = Spark's default parallelism). */
    SourceImages read(SparkSession spark, String inputPath, int partitions) {
        SparkContext sc = spark.sparkContext();
        FileStatus root = InputFormat.status(inputPath, sc.hadoopConfiguration());
        if (!root.isDirectory()) {
            throw new IllegalArgumentException("input " + inputPath + ": an image folder must be a directory");
        }
        String rootPath = root.getPath().toUri().getPath();
        List<String> files = new ArrayList<>();
        try {
            list(root.getPath().getFileSystem(sc.hadoopConfiguration()), root.getPath(), files);
        } catch (IOException e) {
            throw new UncheckedIOException("input " + inputPath + ": cannot list the image folder", e);
        }
        Collections.sort(files);
        List<String> classes = new ArrayList<>(new TreeSet<>(files.stream().map(p -> className(rootPath, p)).toList()));
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("input " + inputPath + ": no images (" + String.join(", ",
                    EXTENSIONS.stream().sorted().toList()) + ") found");
        }
        classes.remove("");
        Map<String, Integer> labels = new HashMap<>();
        for (int i = 0; i < classes.size(); i++) labels.put(classes.get(i), i);

        List<Tuple2<String, Long>> ranked = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) ranked.add(new Tuple2<>(files.get(i), (long) i));
        int parts = partitions > 0 ? partitions : sc.defaultParallelism();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(sc.hadoopConfiguration()));
        JavaRDD<SourceRecord> records = jsc.parallelize(ranked, Math.max(1, Math.min(parts, ranked.size())))
                .mapPartitions(it -> read(it, conf.value(), rootPath, labels));
        return new SourceImages(records, List.copyOf(classes));
    }

    private static Iterator<SourceRecord> read(Iterator<Tuple2<String, Long>> files, SerializableConfiguration conf,
            String rootPath, Map<String, Integer> labels) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return files.hasNext();
            }

            @Override
            public SourceRecord next() {
                Tuple2<String, Long> f = files.next();
                String cls = className(rootPath, f._1());
                int label = cls.isEmpty() ? -1 : labels.get(cls);
                try {
                    return SourceRecord.encoded(f._2(), label, f._1(), null, HadoopFiles.readAll(new Path(f._1()), conf.value()));
                } catch (IOException | RuntimeException e) {
                    return SourceRecord.unreadable(f._2(), f._1(), "unreadable: " + e);
                }
            }
        };
    }

    /**
     * Every image file under {@code dir}, recursively, whatever its size (a zero-byte file is listed, and later
     * rejected as an empty file); hidden entries (names starting with "." or "_") are skipped, as Spark's file
     * sources skip them.
     */
    private static void list(FileSystem fs, Path dir, List<String> out) throws IOException {
        RemoteIterator<FileStatus> it = fs.listStatusIterator(dir);
        while (it.hasNext()) {
            FileStatus f = it.next();
            String name = f.getPath().getName();
            if (name.startsWith(".") || name.startsWith("_")) continue;
            if (f.isDirectory()) {
                list(fs, f.getPath(), out);
            } else if (isImage(f.getPath().toString())) {
                out.add(f.getPath().toString());
            }
        }
    }

    static boolean isImage(String path) {
        int dot = path.lastIndexOf('.');
        return dot > path.lastIndexOf('/') && EXTENSIONS.contains(path.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The first folder under the root, or "" for an image directly under it. */
    static String className(String rootPath, String file) {
        String p = new Path(file).toUri().getPath();
        String rel = p.startsWith(rootPath + "/") ? p.substring(rootPath.length() + 1) : new Path(file).getName();
        int slash = rel.indexOf('/');
        return slash < 0 ? "" : rel.substring(0, slash);
    }
}
