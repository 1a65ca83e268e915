package org.atdiff.prep;

import org.atdiff.random.RandomStream;

/**
 * The deterministic train/test split for sources without one of their own: image {@code id} goes to the test
 * split when a uniform draw from {@code RandomStream(seed).derive(id)} falls below the test fraction, so the
 * split depends only on (id, fraction, seed), never on partitioning or order.
 */
public final class TrainTestSplit {
    private TrainTestSplit() {}

    public static String of(long id, double testFraction, long seed) {
        return new RandomStream(seed).derive(id).nextUniform() < testFraction ? DatasetSplit.TEST.configName()
                : DatasetSplit.TRAIN.configName();
    }
}
