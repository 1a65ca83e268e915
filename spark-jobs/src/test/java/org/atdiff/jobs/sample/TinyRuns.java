package org.atdiff.jobs.sample;

import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.Checkpoint;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.RandomStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/** Test fixtures: a run directory holding one checkpoint of a tiny U-Net, and the tests' local Spark. */
public final class TinyRuns {
    private TinyRuns() {}

    /** A tiny U-Net (8 base channels, two levels) for size x size images; classes = 0 for unconditional. */
    public static ModelSpec spec(int size, int channels, int classes) {
        return new ModelSpec(new UNetConfig("test", channels, size, 8, new int[] {1, 2}, 1, new int[0], 8, 0.0, classes),
                "linear", 1000);
    }

    /**
     * Writes {@code run/checkpoints/step-00000000.safetensors} (model = EMA = the seeded U-Net with a random rather than
     * zero output layer, so the network's output depends on its whole body) and returns the spec.
     */
    public static ModelSpec writeRun(File run, int size, int channels, int classes, long seed) throws IOException {
        return writeRun(run, size, channels, classes, seed, "{}");
    }

    /** {@link #writeRun(File, int, int, int, long)} with the training configuration {@code configJson}. */
    public static ModelSpec writeRun(File run, int size, int channels, int classes, long seed, String configJson)
            throws IOException {
        ModelSpec spec = spec(size, channels, classes);
        try (PointerScope scope = new PointerScope()) {
            UNet unet = spec.build(seed);
            LinkedHashMap<String, Tensor> state = unet.stateDict();
            RandomStream rng = new RandomStream(seed).derive(99);
            try (NoGradScope g = new NoGradScope()) {
                for (Map.Entry<String, Tensor> e : state.entrySet()) {
                    if (e.getKey().startsWith("out.2")) {
                        e.getValue().copy_(rng.normal(e.getValue().sizes().vec().get()).mul(new Scalar(0.05)));
                    }
                }
            }
            Checkpoint c = new Checkpoint(state, state, new LinkedHashMap<>(), 0, new LinkedHashMap<>(), configJson,
                    spec.toJson());
            new RunDirectory(run.toURI().toString(), new Configuration()).writeCheckpoint(0, c::save, 1);
        }
        return spec;
    }

    public static SparkSession spark() {
        return SparkSession.builder().master("local[2]").appName("atdiff-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }
}
