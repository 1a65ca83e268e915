package org.atdiff.jobs.train;

/**
 * Where a worker finds global sample number n of the {@link GlobalBatchOrder} in its {@link ImageTable}: with
 * replicated placement the order's image (the table holds every image by id), with sharded placement the table row
 * keyed n (the table holds the samples routed to this worker, see {@link ShardRouting}).
 */
@FunctionalInterface
public interface SampleRows {
    /** The table row holding sample {@code sample}. */
    int row(long sample);
}
