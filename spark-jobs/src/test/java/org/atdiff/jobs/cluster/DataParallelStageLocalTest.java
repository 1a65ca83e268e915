package org.atdiff.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two workers as two barrier tasks of one local[2] JVM. */
class DataParallelStageLocalTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = TorchSparkSession.builder("local[2]", "DataParallelStageLocalTest", 1)
                .config("spark.ui.enabled", "false").getOrCreate();
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static DataParallelStage stage(int maxAttempts) {
        return new DataParallelStage(sc, "test", maxAttempts, Duration.ofSeconds(20), 1);
    }

    private static JavaRDD<Integer> twoPartitions() {
        return sc.parallelize(IntStream.range(0, 10).boxed().toList(), 2);
    }

    @Test
    void eachRankGetsTheExactMeanAndItsOwnPartition() {
        List<float[]> out = stage(1).run(twoPartitions(), (worker, partition) -> {
            float partitionSum = 0;
            while (partition.hasNext()) partitionSum += partition.next();
            try (PointerScope scope = new PointerScope()) {
                // rank r contributes (r + 1) * [0 .. 7]; the mean over 2 ranks is 1.5 * i, exact in float
                float[] mine = new float[8];
                for (int i = 0; i < 8; i++) mine[i] = (worker.rank() + 1) * i;
                Tensor t = HostTensors.fromFloats(mine, 8);
                worker.group().allReduceMean(t);
                float[] mean = HostTensors.toFloats(t);
                float[] result = new float[11];
                System.arraycopy(mean, 0, result, 0, 8);
                result[8] = worker.rank();
                result[9] = worker.worldSize();
                result[10] = partitionSum;
                return result;
            }
        });
        assertEquals(2, out.size());
        for (int r = 0; r < 2; r++) {
            float[] want = {0, 1.5f, 3, 4.5f, 6, 7.5f, 9, 10.5f, r, 2, r == 0 ? 0 + 1 + 2 + 3 + 4 : 5 + 6 + 7 + 8 + 9};
            assertArrayEquals(want, out.get(r), "rank " + r);
        }
    }

    @Test
    void dataInAnotherNumberOfPartitionsIsRepartitionedToOnePerWorker() {
        JavaRDD<Integer> five = sc.parallelize(IntStream.range(0, 100).boxed().toList(), 5);
        List<int[]> out = stage(1).run(five, 2, (worker, partition) -> {
            int count = 0;
            while (partition.hasNext()) {
                partition.next();
                count++;
            }
            return new int[] {worker.rank(), worker.worldSize(), count};
        });
        assertEquals(2, out.size());
        assertEquals(100, out.get(0)[2] + out.get(1)[2]);
        assertArrayEquals(new int[] {0, 2}, new int[] {out.get(0)[0], out.get(0)[1]});
        assertArrayEquals(new int[] {1, 2}, new int[] {out.get(1)[0], out.get(1)[1]});
    }

    @Test
    void tenMillionFloatsAreAveraged() {
        List<long[]> out = stage(1).run(twoPartitions(), (worker, partition) -> {
            int n = 10_000_000;
            float[] mine = new float[n];
            for (int i = 0; i < n; i++) mine[i] = (worker.rank() + 1) * (i % 1000);
            try (PointerScope scope = new PointerScope()) {
                Tensor t = HostTensors.fromFloats(mine, n);
                worker.group().allReduceMean(t);
                float[] mean = HostTensors.toFloats(t);
                long wrong = IntStream.range(0, n).filter(i -> mean[i] != 1.5f * (i % 1000)).count();
                return new long[] {mean.length, wrong};
            }
        });
        for (long[] r : out) assertArrayEquals(new long[] {10_000_000, 0}, r);
    }

    @Test
    void aRankFailingOnTheFirstAttemptIsRetriedAndThePeerIsReleased(@TempDir Path dir) throws Exception {
        String marks = dir.toString();
        List<float[]> out = stage(3).run(twoPartitions(), FlakyWorker.body(marks));
        FlakyWorker.assertRecovered(out, Path.of(marks));
    }

    @Test
    void aCancelledJobStopsItsWorkersAndIsNotRelaunched(@TempDir Path dir) throws Exception {
        String marks = dir.toString();
        CompletableFuture<List<Integer>> running = CompletableFuture.supplyAsync(() -> stage(3).run(twoPartitions(),
                (worker, partition) -> {
                    Files.writeString(Path.of(marks, "attempt-" + worker.attempt() + "-rank-" + worker.rank()), "");
                    try (PointerScope scope = new PointerScope()) {
                        Tensor t = HostTensors.fromFloats(new float[] {1, 2}, 2);
                        while (true) worker.allReduceMean(t); // a loop only cancellation ends
                    }
                }));
        while (!Files.exists(dir.resolve("attempt-1-rank-0")) || !Files.exists(dir.resolve("attempt-1-rank-1"))) {
            Thread.sleep(100);
        }
        sc.cancelAllJobs();
        ExecutionException e = assertThrows(ExecutionException.class, running::get);
        assertTrue(e.getCause().getMessage().contains("stopped after 1 attempt"), e.getCause().getMessage());
        assertFalse(Files.exists(dir.resolve("attempt-2-rank-0")));
        // both workers left their loop: the two slots are free for the next barrier stage
        assertEquals(List.of(0, 1), stage(1).run(twoPartitions(), (worker, partition) -> worker.rank()));
    }

    @Test
    void afterTheLastAttemptTheErrorNamesTheCause() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> stage(2).run(twoPartitions(),
                (worker, partition) -> {
                    if (worker.rank() == 1) throw new IllegalArgumentException("bad shard " + worker.attempt());
                    return 0;
                }));
        assertTrue(e.getMessage().contains("failed in all 2 attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("bad shard 2"), e.getMessage());
        assertEquals(1, e.getSuppressed().length);
    }

    @Test
    void invalidSettingsNameTheirKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DataParallelStage(sc, "test", 0, Duration.ofSeconds(1), 0));
        assertTrue(e.getMessage().contains("train.max-attempts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DataParallelStage(sc, "test", 1, Duration.ZERO, 0));
        assertTrue(e.getMessage().contains("train.collective-timeout"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> stage(1).run(twoPartitions(), 0, (w, p) -> 0));
        assertTrue(e.getMessage().contains("train.workers"), e.getMessage());
    }
}
