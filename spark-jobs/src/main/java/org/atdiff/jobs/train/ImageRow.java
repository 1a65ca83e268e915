package org.atdiff.jobs.train;

import java.io.Serializable;

/**
 * One training image as it travels from the Parquet dataset to a worker: its id (the global sort key), its label
 * (-1 = none) and its pixels, uint8 in CHW order.
 */
public record ImageRow(long id, int label, byte[] pixels) implements Serializable {}
