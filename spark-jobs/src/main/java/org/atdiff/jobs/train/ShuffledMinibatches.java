package org.atdiff.jobs.train;

import org.atdiff.tensor.HostTensors;
import org.atdiff.train.Minibatch;
import org.atdiff.train.MinibatchSource;

/**
 * One worker's minibatches: at step s its B images are the sample numbers s G + rank B + j of the
 * {@link GlobalBatchOrder}, found in the worker's table by its {@link SampleRows}, converted from uint8 to float in [-1, 1] when drawn. Each {@link #next()} is one step;
 * {@link #seek} positions the source at a resumed step.
 */
public final class ShuffledMinibatches implements MinibatchSource {
    private final ImageTable table;
    private final SampleRows order;
    private final int rank, batch, workers;
    private final boolean withLabels;
    private long step;

    /** @param withLabels hand out labels (a class-conditional model); every image must then have one */
    public ShuffledMinibatches(ImageTable table, SampleRows order, int rank, int workers, int batch, boolean withLabels) {
        if (rank < 0 || rank >= workers) throw new IllegalArgumentException("rank " + rank + " of " + workers + " workers");
        this.table = table;
        this.order = order;
        this.rank = rank;
        this.workers = workers;
        this.batch = batch;
        this.withLabels = withLabels;
    }

    /** The next call returns the minibatch of step {@code completedSteps} (0-based). */
    public void seek(long completedSteps) {
        step = completedSteps;
    }

    @Override
    public Minibatch next() {
        int bytes = table.imageBytes();
        byte[] pixels = new byte[batch * bytes];
        long[] labels = new long[batch];
        long first = step * workers * batch + (long) rank * batch;
        for (int j = 0; j < batch; j++) {
            int row = order.row(first + j);
            System.arraycopy(table.pixels(row), 0, pixels, j * bytes, bytes);
            labels[j] = table.label(row);
            if (withLabels && labels[j] < 0) {
                throw new IllegalArgumentException("model.class-conditional is true but an image has no label");
            }
        }
        step++;
        long[] shape = table.imageShape();
        return new Minibatch(HostTensors.fromPixels(pixels, batch, shape[0], shape[1], shape[2]),
                withLabels ? HostTensors.fromLongs(labels, batch) : null);
    }
}
