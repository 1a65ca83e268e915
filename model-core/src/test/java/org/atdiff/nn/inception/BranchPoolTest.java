package org.atdiff.nn.inception;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class BranchPoolTest {
    // 3x3 image 1..9: a corner window sees 4 pixels, an edge window 6, the centre 9
    private static final float[] IMAGE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    @Test
    void averageLeavesPaddedZerosOutOfTheCount() {
        try (PointerScope scope = new PointerScope()) {
            Tensor y = BranchPool.AVERAGE_EXCLUDING_PADDING.apply(HostTensors.fromFloats(IMAGE, 1, 1, 3, 3));
            float[] expected = {
                (1 + 2 + 4 + 5) / 4f, (1 + 2 + 3 + 4 + 5 + 6) / 6f, (2 + 3 + 5 + 6) / 4f,
                (1 + 2 + 4 + 5 + 7 + 8) / 6f, 45 / 9f, (2 + 3 + 5 + 6 + 8 + 9) / 6f,
                (4 + 5 + 7 + 8) / 4f, (4 + 5 + 6 + 7 + 8 + 9) / 6f, (5 + 6 + 8 + 9) / 4f};
            assertArrayEquals(expected, HostTensors.toFloats(y), 1e-6f);
        }
    }

    @Test
    void maxTakesTheLargestInTheWindow() {
        try (PointerScope scope = new PointerScope()) {
            Tensor y = BranchPool.MAX.apply(HostTensors.fromFloats(IMAGE, 1, 1, 3, 3).neg());
            assertArrayEquals(new float[] {-1, -1, -2, -1, -1, -2, -4, -4, -5}, HostTensors.toFloats(y));
        }
    }
}
