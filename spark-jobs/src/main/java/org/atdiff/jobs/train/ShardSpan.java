package org.atdiff.jobs.train;

import java.io.Serializable;

/**
 * The steps (from, until] one sharded stage trains, with the data stream's seed the driver routed their samples by
 * ({@link ShardRouting}). A worker checks that the state it resumes from lies in the span and draws the same order.
 */
public record ShardSpan(long dataSeed, long from, long until) implements Serializable {
    public ShardSpan {
        if (from < 0 || until <= from) throw new IllegalArgumentException("empty span of steps (" + from + ", " + until + "]");
    }

    /** Throws unless a worker resuming at {@code completed} steps with data seed {@code seed} can train this span. */
    void requireCovers(long completed, long seed, int rank) {
        if (seed != dataSeed) {
            throw new IllegalStateException("rank " + rank + " resumes with data seed " + seed + " but the driver routed "
                    + "the samples by seed " + dataSeed + " (run.dir changed during the run?)");
        }
        if (completed < from || completed > until) {
            throw new IllegalStateException("rank " + rank + " resumes at step " + completed + ", outside the span of"
                    + " steps (" + from + ", " + until + "] whose samples it holds (run.dir changed during the run?)");
        }
    }
}
