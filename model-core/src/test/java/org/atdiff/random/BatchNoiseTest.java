package org.atdiff.random;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

class BatchNoiseTest {
    @Test
    void rowBIsDrawnFromStreamBOnly() {
        try (PointerScope scope = new PointerScope()) {
            BatchNoise noise = BatchNoise.forSamples(5, 10, 3);
            float[] first = HostTensors.toFloats(noise.normal(2, 3, 3));
            float[] second = HostTensors.toFloats(noise.normal(2, 3, 3));
            assertArrayEquals(new long[] {3, 2, 3, 3}, HostTensors.shape(noise.normal(2, 3, 3)));
            for (int b = 0; b < 3; b++) {
                RandomStream own = new RandomStream(5).derive(10 + b);
                float[] a = own.gaussians(18), c = own.gaussians(18);
                for (int j = 0; j < 18; j++) {
                    assertEquals(a[j], first[b * 18 + j], 0);
                    assertEquals(c[j], second[b * 18 + j], 0);
                }
            }
        }
    }

    @Test
    void indicesAndRangeAgreeAndRowsAreIndependentOfTheirNeighbours() {
        try (PointerScope scope = new PointerScope()) {
            float[] range = HostTensors.toFloats(BatchNoise.forSamples(9, 4, 4).normal(5));
            float[] picked = HostTensors.toFloats(BatchNoise.forSamples(9, new long[] {6, 7}).normal(5));
            for (int j = 0; j < 10; j++) assertEquals(range[10 + j], picked[j], 0);
            assertNotEquals(range[0], range[5]);
        }
    }
}
