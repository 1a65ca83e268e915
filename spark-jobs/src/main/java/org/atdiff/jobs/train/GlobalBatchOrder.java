package org.atdiff.jobs.train;

import org.atdiff.random.RandomStream;

/**
 * The order in which a run visits its images, a function of the seed alone. The images (sorted by id) are read as
 * an endless sequence of epochs, epoch e being the permutation drawn from {@code RandomStream(seed).derive(e)}
 * (Fisher-Yates); step s consumes the global batch of sample numbers [s G, (s + 1) G), G = workers x per-worker
 * batch, and the worker of rank r takes sample numbers s G + r B + j, j < B. So W workers with batch B visit exactly
 * the images of one worker with batch W B, in the same positions, and a resumed run continues the same sequence.
 */
public final class GlobalBatchOrder implements SampleRows {
    private final int images;
    private final long seed;
    private long cachedEpoch = -1;
    private int[] permutation;

    public GlobalBatchOrder(int images, long seed) {
        if (images < 1) throw new IllegalArgumentException("need at least one image: " + images);
        this.images = images;
        this.seed = seed;
    }

    /** The image (row of the sorted table) at global sample number {@code n}. */
    public int image(long n) {
        if (n < 0) throw new IllegalArgumentException("sample number must be >= 0: " + n);
        long epoch = n / images;
        if (epoch != cachedEpoch) {
            permutation = permutation(epoch);
            cachedEpoch = epoch;
        }
        return permutation[(int) (n % images)];
    }

    @Override
    public int row(long sample) {
        return image(sample);
    }

    public int images() {
        return images;
    }

    /** The position of every image in epoch {@code epoch}: the inverse of its permutation. */
    public int[] positions(long epoch) {
        int[] p = permutation(epoch), inverse = new int[images];
        for (int i = 0; i < images; i++) inverse[p[i]] = i;
        return inverse;
    }

    private int[] permutation(long epoch) {
        RandomStream r = new RandomStream(seed).derive(epoch);
        int[] p = new int[images];
        for (int i = 0; i < images; i++) p[i] = i;
        for (int i = images - 1; i > 0; i--) { // Fisher-Yates shuffle (Knuth, TAOCP vol. 2, Algorithm P)
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
