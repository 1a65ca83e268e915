package org.atdiff.jobs.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.cluster.DataParallelStage;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A tiny data-parallel application for the spark-submit tests: on the submitted master, two workers of a barrier
 * stage load libtorch, average their rank + 1 through Gloo and report {@code rank pid mean} lines to the file
 * {@code args[0]} (expected mean 1.5 on both, in two executor JVMs).
 */
public final class AllReduceApp {
    private AllReduceApp() {}

    public static void main(String[] args) throws Exception {
        SparkSession spark = TorchSparkSession.builder(null, "atdiff all-reduce", 1).getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            // A barrier stage needs both slots registered; Spark re-checks them only every 15 s.
            for (int i = 0; sc.sc().getExecutorIds().size() < 2; i++) {
                if (i == 900) throw new IllegalStateException("two executors did not register in 3 minutes");
                Thread.sleep(200);
            }
            List<String> lines = new DataParallelStage(sc, "atdiff all-reduce", 1, Duration.ofSeconds(60), 1)
                    .run(sc.parallelize(List.of(0, 1), 2), 2, (worker, partition) -> {
                        try (PointerScope scope = new PointerScope()) {
                            Tensor value = HostTensors.fromFloats(new float[] {worker.rank() + 1f}, 1);
                            worker.allReduceMean(value);
                            return worker.rank() + " " + ProcessHandle.current().pid() + " " + HostTensors.toFloats(value)[0];
                        }
                    });
            Files.write(Path.of(args[0]), lines);
        } finally {
            spark.stop();
        }
    }
}
