package org.atdiff.jobs.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sharded placement routes exactly the samples of the global order, each to its consumer, within the memory bound. */
class ShardRoutingTest {
    @Test
    void everySpanRoutesEachSampleOfTheGlobalOrderToItsConsumerOnce() {
        long seed = 17;
        for (int images : new int[] {40, 7, 12}) {
            for (int workers : new int[] {1, 2, 3}) {
                for (int batch : new int[] {1, 3, 4}) {
                    long g = (long) workers * batch, lastStep = 4L * images / g + 3;
                    GlobalBatchOrder order = new GlobalBatchOrder(images, seed);
                    String what = images + " images, " + workers + " x " + batch;
                    // a run from scratch, and one resumed mid-epoch at step 2
                    for (long begin : new long[] {0, 2}) {
                        long step = begin;
                        while (step < lastStep) {
                            long until = ShardRouting.spanEnd(step, images, g, lastStep);
                            assertTrue(until > step, what);
                            ShardRouting r = new ShardRouting(images, seed, workers, batch, step, until);
                            List<List<Long>> held = new ArrayList<>();
                            for (int w = 0; w < workers; w++) held.add(new ArrayList<>());
                            for (int i = 0; i < images; i++) {
                                for (long n : r.samples(i)) {
                                    assertEquals(i, order.image(n), what + ": sample " + n);
                                    held.get(r.worker(n)).add(n);
                                }
                            }
                            for (int w = 0; w < workers; w++) {
                                List<Long> mine = held.get(w), expected = new ArrayList<>();
                                for (long s = step; s < until; s++) {
                                    for (int j = 0; j < batch; j++) expected.add(s * g + (long) w * batch + j);
                                }
                                Collections.sort(mine);
                                assertEquals(expected, mine, what + ", span (" + step + ", " + until + "], worker " + w);
                                assertEquals(r.rowsPerWorker(), mine.size());
                                if (g <= images) {
                                    assertTrue(mine.size() <= (images + workers - 1) / workers + batch,
                                            what + ": worker " + w + " holds " + mine.size());
                                }
                            }
                            // a span ends where the next step's first sample enters a later epoch (or at the last step)
                            if (until < lastStep) assertTrue(until * g / images > step * g / images, what);
                            if (until - 1 > step) assertEquals(step * g / images, (until - 1) * g / images, what);
                            step = until;
                        }
                    }
                }
            }
        }
    }
}
