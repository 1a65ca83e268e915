package org.atdiff.optim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class GradientClippingTest {
    private static List<Tensor> params() {
        Tensor a = AdamWTest.param(0, 0), b = AdamWTest.param(0, 0, 0);
        AdamWTest.setGrad(a, 3.0, 0.0); // global norm sqrt(9 + 16) = 5
        AdamWTest.setGrad(b, 0.0, -4.0, 0.0);
        return List.of(a, b);
    }

    private static double norm(List<Tensor> ps) {
        double s = 0;
        for (Tensor p : ps) for (double g : HostTensors.toDoubles(p.grad())) s += g * g;
        return Math.sqrt(s);
    }

    @Test
    void aboveTheLimitTheGlobalNormIsScaledDownToIt() {
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> ps = params();
            assertEquals(5.0, new GradientClipping(1.0).clip(ps), 1e-12);
            double after = norm(ps);
            assertTrue(after <= 1.0, "norm after clipping " + after);
            assertEquals(1.0, after, 1e-5);
            assertArrayEquals(new double[] {0.6, 0.0}, HostTensors.toDoubles(ps.get(0).grad()), 1e-6); // direction kept
        }
    }

    @Test
    void belowTheLimitOrWithoutALimitNothingChanges() {
        try (PointerScope scope = new PointerScope()) {
            for (double max : new double[] {5.5, 0.0, Double.POSITIVE_INFINITY}) {
                List<Tensor> ps = params();
                assertEquals(5.0, new GradientClipping(max).clip(ps), 1e-12);
                assertArrayEquals(new double[] {3.0, 0.0}, HostTensors.toDoubles(ps.get(0).grad()), 0.0);
                assertArrayEquals(new double[] {0.0, -4.0, 0.0}, HostTensors.toDoubles(ps.get(1).grad()), 0.0);
            }
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new GradientClipping(-1)).getMessage().contains("grad-clip"));
        }
    }
}
