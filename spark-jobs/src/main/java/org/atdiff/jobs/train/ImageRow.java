package org.atdiff.jobs.train;

import java.io.Serializable;

/**
 * One training image as it travels from the Parquet dataset to a worker: its key, its label (-1 = none) and its
 * pixels, uint8 in CHW order. The key is the image's id as read from the dataset (the global sort key); after a
 * sharded placement's routing ({@link ShardRouting}) it is the global sample number the image fills.
 */
public record ImageRow(long key, int label, byte[] pixels) implements Serializable {}
