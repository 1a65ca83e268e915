package org.atdiff.jobs.cluster;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

/** An all-gather among threads of one JVM, standing in for Spark's BarrierTaskContext.allGather in tests. */
final class ThreadAllGather {
    private final String[] slots;
    private final CyclicBarrier barrier;

    ThreadAllGather(int parties) {
        slots = new String[parties];
        barrier = new CyclicBarrier(parties);
    }

    GlooGroup.AllGather forRank(int rank) {
        return message -> {
            slots[rank] = message;
            barrier.await(60, TimeUnit.SECONDS);
            String[] all = slots.clone();
            barrier.await(60, TimeUnit.SECONDS);
            return all;
        };
    }
}
