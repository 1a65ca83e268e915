package org.atdiff.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class FlatGradientsTest {
    @Test
    void gathersGradientsAndLossIntoOneReusedBufferAndScattersBack() {
        try (PointerScope scope = new PointerScope()) {
            Tensor a = HostTensors.fromFloats(new float[4], 2, 2).set_requires_grad(true);
            Tensor b = HostTensors.fromFloats(new float[3], 3).set_requires_grad(true);
            Tensor c = HostTensors.fromFloats(new float[2], 2).set_requires_grad(true); // never gets a gradient
            a.mutable_grad().put(HostTensors.fromFloats(new float[] {1, 2, 3, 4}, 2, 2));
            b.mutable_grad().put(HostTensors.fromFloats(new float[] {5, 6, 7}, 3));
            FlatGradients flat = new FlatGradients(List.of(a, b, c));
            assertEquals(9, flat.gradientSize());
            long address = flat.buffer().data_ptr().address();
            flat.gather(0.25);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 0, 0, 0.25f}, HostTensors.toFloats(flat.buffer()));
            assertEquals(0.25, flat.loss());
            flat.buffer().mul_(new Scalar(2.0)); // what an all-reduce might do
            flat.scatter();
            assertArrayEquals(new float[] {2, 4, 6, 8}, HostTensors.toFloats(a.grad()));
            assertArrayEquals(new float[] {10, 12, 14}, HostTensors.toFloats(b.grad()));
            assertArrayEquals(new float[] {0, 0}, HostTensors.toFloats(c.grad()));
            assertArrayEquals(new long[] {2, 2}, HostTensors.shape(a.grad()));
            flat.gather(1.0);
            assertEquals(address, flat.buffer().data_ptr().address(), "the buffer is reused across steps");
            assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12, 14, 0, 0, 1}, HostTensors.toFloats(flat.buffer()));
        }
    }
}
