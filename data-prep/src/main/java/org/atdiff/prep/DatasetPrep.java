package org.atdiff.prep;

import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code prep} job as a library call: reads a raw dataset with the {@link ImageSource} of its format,
 * decodes, resizes and splits every image in parallel, summarises the result in one pass, fails (writing
 * nothing) if too many images were unreadable, then writes the {@link PreparedDataset} layout: {@code data/} (Parquet shards by id range, sorted by
 * id), {@code rejected/} (JSON lines: id, source, reason) and {@code manifest.json} to a staging folder that is
 * renamed to {@code output.path} at the end.
 */
public final class DatasetPrep {
    /** Target size of one shard when {@code output.shards = 0}. */
    public static final long SHARD_BYTES = 64L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(DatasetPrep.class);

    private DatasetPrep() {}

    public static Manifest run(SparkSession spark, PrepSettings s) throws IOException {
        SparkContext sc = spark.sparkContext();
        Configuration hadoop = sc.hadoopConfiguration();
        String previous = sc.getLocalProperty("spark.job.description");
        try (DatasetCommit commit = DatasetCommit.begin(s.outputPath(), s.overwrite(), hadoop)) {
            InputFormat format = InputFormat.resolve(s.inputFormat(), s.inputPath(), hadoop);
            LOG.info("prep: reading {} as {}", s.inputPath(), format.configName());
            SourceImages source = format.source().read(spark, s);
            JavaRDD<PreparedImage> prepared = source.records()
                    .map(new RecordPreparer(s.resizer(), source.labelNames(), s.testFraction(), s.splitSeed()))
                    .persist(StorageLevel.MEMORY_AND_DISK_SER());
            try {
                sc.setJobDescription("prep: decode, resize and summarise " + s.inputPath());
                DatasetSummary summary = prepared.aggregate(new DatasetSummary(s.channels()), DatasetSummary::add,
                        DatasetSummary::merge);
                check(summary, s);
                int shards = shards(summary, s);
                sc.setJobDescription("prep: write " + shards + " Parquet shards of " + s.inputPath());
                JavaRDD<PreparedImage> accepted = prepared.filter(p -> !p.isRejected())
                        .mapToPair(p -> new scala.Tuple2<>(p.id(), p))
                        .repartitionAndSortWithinPartitions(new ShardPartitioner(shards, summary.minId(), summary.maxId()))
                        .values();
                spark.createDataFrame(accepted.map(DatasetSchema::toRow), DatasetSchema.ROWS)
                        .write().parquet(PreparedDataset.dataFolder(commit.staging()).toString());
                sc.setJobDescription("prep: write the rejected list of " + s.inputPath());
                spark.createDataFrame(prepared.filter(PreparedImage::isRejected).map(DatasetSchema::toRejectedRow),
                        DatasetSchema.REJECTED).coalesce(1).write().json(new Path(commit.staging(), PreparedDataset.REJECTED_DIR).toString());
                Manifest manifest = Manifest.of(s, format, source.labelNames(), summary,
                        countShards(PreparedDataset.dataFolder(commit.staging()), hadoop));
                manifest.write(commit.staging(), hadoop);
                commit.commit();
                LOG.info("prep: wrote {} images ({} rejected) in {} shards to {}", manifest.rows(), manifest.rejected(),
                        manifest.shards(), commit.target());
                return manifest;
            } finally {
                prepared.unpersist(false);
            }
        } finally {
            sc.setJobDescription(previous);
        }
    }

    private static void check(DatasetSummary summary, PrepSettings s) {
        if (summary.rows() + summary.rejected() == 0) {
            throw new IllegalArgumentException("input " + s.inputPath() + ": no images");
        }
        if (summary.rows() == 0 || summary.rejectedFraction() > s.maxRejectedFraction()) {
            throw new IllegalStateException(String.format("input %s: %d of %d images are unreadable (%.2f%% > "
                    + "input.max-rejected-fraction %.2f%%); nothing written. For example: %s", s.inputPath(),
                    summary.rejected(), summary.rows() + summary.rejected(), 100 * summary.rejectedFraction(),
                    100 * s.maxRejectedFraction(), String.join("; ", summary.rejectedExamples())));
        }
    }

    /** The configured shard count, or enough for about {@link #SHARD_BYTES} of pixels each; never more than rows. */
    static int shards(DatasetSummary summary, PrepSettings s) {
        long wanted = s.shards() > 0 ? s.shards() : (summary.pixelBytes() + SHARD_BYTES - 1) / SHARD_BYTES;
        return (int) Math.max(1, Math.min(wanted, summary.rows()));
    }

    private static int countShards(Path data, Configuration conf) throws IOException {
        FileStatus[] files = data.getFileSystem(conf).listStatus(data, p -> p.getName().endsWith(".parquet"));
        return (int) Arrays.stream(files).filter(FileStatus::isFile).count();
    }
}
