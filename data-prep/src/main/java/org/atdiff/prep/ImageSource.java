package org.atdiff.prep;

import org.apache.spark.sql.SparkSession;

/**
 * Reads one raw dataset format into {@link SourceRecord}s, in parallel over executors. Implementations check
 * what they can cheaply on the driver first (the path exists, headers, record counts) and fail at once with an
 * {@link IllegalArgumentException} naming the input; a single unreadable image becomes a record with an error.
 */
public interface ImageSource {
    SourceImages read(SparkSession spark, PrepSettings settings);
}
