package org.atdiff.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A worker that takes 5 all-reduce "steps"; on the first attempt rank 1 throws after step 2. Rank 0 writes the error
 * its collective got to {@code survivor-<attempt>.txt} in a marks folder, so a test can tell a peer-closed error
 * (the survivor was released at once) from a timeout.
 */
final class FlakyWorker {
    static final int STEPS = 5;

    private FlakyWorker() {}

    static WorkerBody<Integer, float[]> body(String marks) {
        return (worker, partition) -> {
            try (PointerScope scope = new PointerScope()) {
                Tensor w = HostTensors.fromFloats(new float[] {0, 0, 0}, 3);
                for (int step = 0; step < STEPS; step++) {
                    if (worker.attempt() == 1 && worker.rank() == 1 && step == 2) {
                        throw new IllegalStateException("injected failure of rank 1 at step 2");
                    }
                    // gradient of rank r at step s: (r + 1) * (s + 1) * [1, 2, 3]; the mean is 1.5 (s + 1) [1, 2, 3]
                    float g = (worker.rank() + 1) * (step + 1);
                    Tensor grad = HostTensors.fromFloats(new float[] {g, 2 * g, 3 * g}, 3);
                    try {
                        worker.group().allReduceMean(grad);
                    } catch (RuntimeException e) {
                        Files.writeString(Path.of(marks, "survivor-" + worker.attempt() + ".txt"), String.valueOf(e.getMessage()));
                        throw e;
                    }
                    w.add_(grad);
                }
                float[] weights = HostTensors.toFloats(w);
                return new float[] {weights[0], weights[1], weights[2], worker.attempt(), worker.rank()};
            }
        };
    }

    /** The second attempt succeeded on both ranks with the exact sum of the mean gradients; rank 0 saw rank 1 leave. */
    static void assertRecovered(List<float[]> out, Path marks) throws Exception {
        float s = 1.5f * (1 + 2 + 3 + 4 + 5);
        assertEquals(2, out.size());
        for (int r = 0; r < 2; r++) assertArrayEquals(new float[] {s, 2 * s, 3 * s, 2, r}, out.get(r), "rank " + r);
        String survivor = Files.readString(marks.resolve("survivor-1.txt"));
        assertTrue(survivor.contains("by peer"), "rank 0's error on attempt 1: " + survivor);
        assertFalse(Files.exists(marks.resolve("survivor-2.txt")));
    }
}
