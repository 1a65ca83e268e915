package org.atdiff.prep;

import org.apache.spark.Partitioner;

/**
 * Sends image ids in {@code [minId, maxId]} to {@code shards} contiguous, nearly equal id ranges, so each output
 * shard holds a run of ids and the layout depends only on the ids.
 */
final class ShardPartitioner extends Partitioner {
    private final int shards;
    private final long minId;
    private final long span;

    ShardPartitioner(int shards, long minId, long maxId) {
        if (shards <= 0) throw new IllegalArgumentException("shards must be positive: " + shards);
        this.shards = shards;
        this.minId = minId;
        this.span = maxId - minId + 1;
    }

    @Override
    public int numPartitions() {
        return shards;
    }

    @Override
    public int getPartition(Object key) {
        long offset = (Long) key - minId;
        long high = Math.multiplyHigh(offset, shards);
        if (high == 0 && offset * shards >= 0) return (int) (offset * shards / span); // floor(offset * shards / span)
        return (int) Math.min(shards - 1, (long) ((double) offset / span * shards));
    }
}
