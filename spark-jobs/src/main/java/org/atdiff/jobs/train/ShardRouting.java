package org.atdiff.jobs.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Sharded placement of one span of steps (from, until]: the global sample numbers [from G, until G) of the
 * {@link GlobalBatchOrder} (G = workers x batch B), each routed to the worker that consumes it, worker
 * (n mod G) / B. An image is routed once for every epoch in which its position falls inside the span, keyed by its
 * sample number, so a worker holds exactly (until - from) B samples and looks them up by number.
 *
 * <p>Spans follow the epochs ({@link #spanEnd}): a span runs to the first step whose first sample lies in the next
 * epoch, so it holds at most ceil(N / G) steps, and a worker at most ceil(N / G) B <= ceil(N / W) + B rows. The
 * last step of a span may reach at most G - 1 samples into the next epoch. A global batch larger than the data
 * (G > N) makes every step its own span.
 */
public final class ShardRouting {
    private final long from, until, firstEpoch;
    private final int images, workers, batch;
    private final int[][] positions;

    /**
     * @param images the size N of the training split
     * @param seed   the data stream's seed ({@code rng.data})
     */
    public ShardRouting(int images, long seed, int workers, int batch, long from, long until) {
        if (workers < 1 || batch < 1) throw new IllegalArgumentException(workers + " workers x batch " + batch);
        if (from < 0 || until <= from) throw new IllegalArgumentException("empty span of steps (" + from + ", " + until + "]");
        this.images = images;
        this.workers = workers;
        this.batch = batch;
        this.from = from;
        this.until = until;
        long g = (long) workers * batch;
        firstEpoch = from * g / images;
        long lastEpoch = (until * g - 1) / images;
        GlobalBatchOrder order = new GlobalBatchOrder(images, seed);
        positions = new int[Math.toIntExact(lastEpoch - firstEpoch + 1)][];
        for (int e = 0; e < positions.length; e++) positions[e] = order.positions(firstEpoch + e);
    }

    /**
     * The last step of the span that starts after {@code completed} steps: the step before the first one whose
     * first sample is in a later epoch than step {@code completed + 1}'s, capped at {@code lastStep}.
     */
    public static long spanEnd(long completed, long images, long globalBatch, long lastStep) {
        long epoch = completed * globalBatch / images;
        long next = ((epoch + 1) * images + globalBatch - 1) / globalBatch; // ceil((e + 1) N / G)
        return Math.min(lastStep, next);
    }

    /** The worker that consumes global sample {@code n}. */
    public int worker(long n) {
        return (int) (n % ((long) workers * batch) / batch);
    }

    /** The sample numbers at which image {@code image} (its index among the ids in order) falls inside the span. */
    public List<Long> samples(int image) {
        if (image < 0 || image >= images) throw new IllegalArgumentException("image " + image + " of " + images);
        long g = (long) workers * batch, lo = from * g, hi = until * g;
        List<Long> out = new ArrayList<>(1);
        for (int e = 0; e < positions.length; e++) {
            long n = (firstEpoch + e) * images + positions[e][image];
            if (n >= lo && n < hi) out.add(n);
        }
        return out;
    }

    /** The samples each worker receives: (until - from) x batch. */
    public long rowsPerWorker() {
        return (until - from) * batch;
    }
}
