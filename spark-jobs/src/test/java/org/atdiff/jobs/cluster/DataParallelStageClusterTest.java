package org.atdiff.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two workers in two executor JVMs of a local-cluster master. */
class DataParallelStageClusterTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() throws Exception {
        TestSparkHome.ensure();
        spark = TorchSparkSession.builder("local-cluster[2,1,2048]", "DataParallelStageClusterTest", 1)
                .config("spark.ui.enabled", "false").getOrCreate();
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // Spark re-checks a barrier stage's slots only every 15 s: let both executors register first.
        for (int i = 0; sc.sc().getExecutorIds().size() < 2; i++) {
            if (i == 1500) throw new IllegalStateException("the local-cluster executors did not register in 5 minutes");
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private static JavaRDD<Integer> twoPartitions() {
        return sc.parallelize(IntStream.range(0, 10).boxed().toList(), 2);
    }

    @Test
    void workersInTwoJvmsEndWithIdenticalWeights() {
        List<double[]> out = new DataParallelStage(sc, "test", 1, Duration.ofSeconds(20), 0).run(twoPartitions(), (worker, partition) -> {
            try (PointerScope scope = new PointerScope()) {
                // 10 steps of w -= 0.1 * mean(g_r) with rank-dependent g_r = (r + 1) * sin(w + s); identical w on all ranks
                Tensor w = HostTensors.fromFloats(new float[] {0.1f, -0.2f, 0.3f, 0.4f}, 4);
                for (int step = 0; step < 10; step++) {
                    try (PointerScope s = new PointerScope()) {
                        Tensor g = w.add(new org.bytedeco.pytorch.Scalar((double) step)).sin().mul(new org.bytedeco.pytorch.Scalar(worker.rank() + 1.0));
                        worker.group().allReduceMean(g);
                        w.sub_(g.mul(new org.bytedeco.pytorch.Scalar(0.1)));
                    }
                }
                float[] weights = HostTensors.toFloats(w);
                double checksum = 0;
                for (int i = 0; i < weights.length; i++) checksum += (i + 1) * (double) weights[i];
                return new double[] {checksum, Float.floatToIntBits(weights[0]), ProcessHandle.current().pid(), torch.get_num_threads()};
            }
        });
        assertEquals(2, out.size());
        assertNotEquals(out.get(0)[2], out.get(1)[2], "both ranks ran in the same JVM");
        assertEquals(out.get(0)[0], out.get(1)[0], "checksums of the weights");
        assertEquals(out.get(0)[1], out.get(1)[1], "bits of the first weight");
        assertEquals(1.0, out.get(0)[3], "libtorch threads = spark.task.cpus");
    }

    @Test
    void aRankFailingInOneJvmIsRetriedAndThePeerInTheOtherJvmIsReleased(@TempDir Path dir) throws Exception {
        String marks = dir.toString();
        List<float[]> out = new DataParallelStage(sc, "test", 3, Duration.ofSeconds(20), 1).run(twoPartitions(), FlakyWorker.body(marks));
        FlakyWorker.assertRecovered(out, Path.of(marks));
        assertArrayEquals(out.get(0), new float[] {out.get(1)[0], out.get(1)[1], out.get(1)[2], 2, 0});
    }
}
