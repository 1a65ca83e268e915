package org.atdiff.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class HostTensorsTest {
    @Test
    void floatsRoundTripWithShape() {
        try (PointerScope scope = new PointerScope()) {
            float[] data = {1, 2, 3, 4, 5, 6};
            Tensor t = HostTensors.fromFloats(data, 2, 3);
            assertArrayEquals(new long[] {2, 3}, HostTensors.shape(t));
            assertArrayEquals(data, HostTensors.toFloats(t));
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, HostTensors.toFloats(t.t()));
        }
    }

    @Test
    void pixelsMapToUnitIntervalAndBack() {
        try (PointerScope scope = new PointerScope()) {
            byte[] px = new byte[256];
            for (int i = 0; i < 256; i++) px[i] = (byte) i;
            Tensor t = HostTensors.fromPixels(px, 256);
            float[] f = HostTensors.toFloats(t);
            assertEquals(-1f, f[0]);
            assertEquals(1f, f[255]);
            assertArrayEquals(px, HostTensors.toPixels(t));
        }
    }

    @Test
    void wrongShapeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> HostTensors.fromFloats(new float[5], 2, 3));
    }
}
