package org.atdiff.prep;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * An image folder read as {@code prep} reads one ({@link FolderSource}: files listed on the driver, decoded by
 * {@link ImageDecoder} and fitted by an {@link ImageResizer} on the executors), without writing a dataset: its
 * {@link DatasetImage}s. Any unreadable image is an error naming the folder's
 * configuration key and the file. Closing it frees the decoded images kept between the check and the caller's pass.
 */
public final class ImageFolder implements AutoCloseable {
    private final JavaRDD<PreparedImage> prepared;
    private final long count;

    private ImageFolder(JavaRDD<PreparedImage> prepared, long count) {
        this.prepared = prepared;
        this.count = count;
    }

    /**
     * @param key     the configuration key that named {@code path}, for error messages
     * @param resizer the shape every image is fitted to
     */
    public static ImageFolder read(SparkSession spark, String key, String path, ImageResizer resizer) {
        SourceImages source;
        try {
            source = new FolderSource().read(spark, path, 0);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " " + path + ": " + e.getMessage(), e);
        }
        JavaRDD<PreparedImage> prepared = source.records()
                .map(new RecordPreparer(resizer, source.labelNames(), 0, 0))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        spark.sparkContext().setJobDescription("decode and resize the images of " + path);
        long total = prepared.count();
        List<PreparedImage> bad = prepared.filter(PreparedImage::isRejected).take(3);
        if (!bad.isEmpty()) {
            long rejected = prepared.filter(PreparedImage::isRejected).count();
            prepared.unpersist(false);
            throw new IllegalArgumentException(key + " " + path + ": " + rejected + " of " + total + " images are "
                    + "unreadable, e.g. " + String.join("; ", bad.stream().map(p -> p.source() + ": " + p.rejectReason())
                    .toList()));
        }
        return new ImageFolder(prepared, total);
    }

    /** The images (id = rank of the file's path, label from the first sub-folder or -1). */
    public JavaRDD<DatasetImage> images() {
        return prepared.map(p -> new DatasetImage(p.id(), p.label(), p.pixels()));
    }

    public long count() {
        return count;
    }

    @Override
    public void close() {
        prepared.unpersist(false);
    }
}
