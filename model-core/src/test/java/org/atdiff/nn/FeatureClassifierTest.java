package org.atdiff.nn;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atdiff.io.MalformedFileException;
import org.atdiff.io.SafeTensors;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.atdiff.train.ClassifierTraining;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The FD feature classifier: learns a separable task, round-trips through its file, identifies itself by checksum. */
@ExtendWith(SingleThreadedTorch.class)
class FeatureClassifierTest {

    /** Class k of 3 on an 8x8 noisy dark image: a bright horizontal bar, a vertical bar, or a 3x3 square, placed at random. */
    static ClassifierTraining.LabelledImages bars(int n, long seed) {
        RandomStream rng = new RandomStream(seed);
        byte[] px = new byte[n * 64];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int k = rng.nextInt(3), a = rng.nextInt(6), b = rng.nextInt(6);
            labels[i] = k;
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    boolean on = switch (k) {
                        case 0 -> y == a + 1;
                        case 1 -> x == a + 1;
                        default -> y >= a && y < a + 3 && x >= b && x < b + 3;
                    };
                    px[i * 64 + y * 8 + x] = (byte) ((on ? 200 : 30) + rng.nextInt(40));
                }
            }
        }
        return new ClassifierTraining.LabelledImages(px, labels, 1, 8);
    }

    @Test
    void learnsASeparableTaskAndReportsTestAccuracy() {
        ClassifierTraining.Result r = ClassifierTraining.train(bars(300, 1), bars(90, 2), 3,
                new ClassifierTraining.Settings(6, 16, 3e-3, 8, 5));
        assertTrue(r.testAccuracy() > 0.9, "test accuracy " + r.testAccuracy() + " loss " + r.lastEpochLoss());
        assertEquals(6 * ((300 + 15) / 16), r.steps());
        assertEquals(32, r.classifier().featureDimension());
        try (PointerScope scope = new PointerScope()) {
            Tensor f = r.classifier().features(HostTensors.fromPixels(bars(5, 3).pixels(), 5, 1, 8, 8));
            assertArrayEquals(new long[] {5, 32}, HostTensors.shape(f));
        }
    }

    @Test
    void roundTripKeepsFeaturesMetadataAndChecksum() throws IOException {
        FeatureClassifier c = new FeatureClassifier(3, 16, 4, 4, 11);
        c.metadata().put("test_accuracy", "0.5");
        byte[] bytes = c.toBytes();
        FeatureClassifier back = FeatureClassifier.load(new ByteArrayInputStream(bytes), "mem");
        assertEquals(c.checksum(), back.checksum());
        assertEquals(64, c.checksum().length());
        assertEquals("0.5", back.metadata().get("test_accuracy"));
        assertEquals(16, back.imageSize());
        assertEquals(4, back.classes());
        try (PointerScope scope = new PointerScope()) {
            Tensor x = new RandomStream(3).normal(2, 3, 16, 16);
            assertArrayEquals(HostTensors.toFloats(c.features(x)), HostTensors.toFloats(back.features(x)));
        }
        FeatureClassifier other = new FeatureClassifier(3, 16, 4, 4, 12);
        assertNotEquals(c.checksum(), other.checksum(), "different weights, different checksum");
    }

    @Test
    void rejectsOtherFilesAndWrongInputs() {
        byte[] notClassifier = SafeTensors.toBytes(new LinkedHashMap<>(Map.of("w", HostTensors.fromFloats(new float[] {1}, 1))),
                Map.of("format", "something-else"));
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> FeatureClassifier.fromBytes(notClassifier, "x.safetensors"));
        assertTrue(e.getMessage().contains("x.safetensors") && e.getMessage().contains("not a feature classifier"),
                e.getMessage());
        FeatureClassifier c = new FeatureClassifier(1, 8, 2, 4, 0);
        try (PointerScope scope = new PointerScope()) {
            assertThrows(IllegalArgumentException.class, () -> c.features(new RandomStream(0).normal(1, 3, 8, 8)));
        }
        assertThrows(IllegalArgumentException.class, () -> new FeatureClassifier(1, 8, 1, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> ClassifierTraining.train(bars(10, 1), null, 2,
                new ClassifierTraining.Settings(1, 4, 1e-3, 4, 0)), "label 2 outside [0, 2)");
    }
}
