package org.atdiff.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class GaussianKlTest {
    /** KL(N1 || N2) = int p1 (log p1 - log p2) dy by Simpson's rule over mean1 +- 20 sigma1, in double. */
    static double quadrature(double m1, double v1, double m2, double v2) {
        double s1 = Math.sqrt(v1), lo = m1 - 20 * s1, hi = m1 + 20 * s1;
        int n = 20_000;
        double h = (hi - lo) / n, sum = 0;
        for (int i = 0; i <= n; i++) {
            double y = lo + i * h;
            double logP1 = -0.5 * Math.log(2 * Math.PI * v1) - (y - m1) * (y - m1) / (2 * v1);
            double logP2 = -0.5 * Math.log(2 * Math.PI * v2) - (y - m2) * (y - m2) / (2 * v2);
            double f = Math.exp(logP1) * (logP1 - logP2);
            sum += f * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3;
    }

    @Test
    void matchesNumericalIntegrationOfTheDefinition() {
        double[][] cases = {{0.3, 0.04, -0.2, 0.25}, {1, 2, -1, 0.5}, {0, 1e-4, 0.01, 2e-4}, {-0.7, 0.9, -0.7, 0.9}};
        try (PointerScope scope = new PointerScope()) {
            for (double[] c : cases) {
                Tensor kl = GaussianKl.elementwise(HostTensors.fromDoubles(new double[] {c[0]}, 1),
                        HostTensors.fromDoubles(new double[] {Math.log(c[1])}, 1),
                        HostTensors.fromDoubles(new double[] {c[2]}, 1),
                        HostTensors.fromDoubles(new double[] {Math.log(c[3])}, 1));
                double expected = quadrature(c[0], c[1], c[2], c[3]);
                assertEquals(expected, kl.item_double(), 1e-9 * Math.max(1, expected), java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void isZeroForEqualGaussiansAndHalfTheSquaredDistanceForUnitVariances() {
        try (PointerScope scope = new PointerScope()) {
            // per-sample log variances [2, 1, 1] broadcast over means [2, 1, 3]
            Tensor m1 = HostTensors.fromDoubles(new double[] {0.1, 0.2, 0.3, -1, 0, 1}, 2, 1, 3);
            Tensor m2 = HostTensors.fromDoubles(new double[] {0.1, 0.2, 0.3, 1, 0, -1}, 2, 1, 3);
            Tensor lv = HostTensors.fromDoubles(new double[] {0.0, 0.0}, 2, 1, 1);
            double[] kl = HostTensors.toDoubles(GaussianKl.elementwise(m1, lv, m2, lv));
            assertArrayEquals(new double[] {0, 0, 0, 2, 0, 2}, kl, 1e-15); // (m1 - m2)^2 / 2
        }
    }

    @Test
    void float32AgreesWithFloat64() {
        try (PointerScope scope = new PointerScope()) {
            Tensor m1 = HostTensors.fromDoubles(new double[] {0.3, -0.5}, 2), m2 = HostTensors.fromDoubles(new double[] {0.1, 0.4}, 2);
            Tensor l1 = HostTensors.fromDoubles(new double[] {-3.2, -6.9}, 2), l2 = HostTensors.fromDoubles(new double[] {-3.0, -4.6}, 2);
            double[] d = HostTensors.toDoubles(GaussianKl.elementwise(m1, l1, m2, l2));
            float[] f = HostTensors.toFloats(GaussianKl.elementwise(m1.to(org.bytedeco.pytorch.global.torch.ScalarType.Float),
                    l1.to(org.bytedeco.pytorch.global.torch.ScalarType.Float), m2.to(org.bytedeco.pytorch.global.torch.ScalarType.Float),
                    l2.to(org.bytedeco.pytorch.global.torch.ScalarType.Float)));
            for (int i = 0; i < d.length; i++) assertEquals(d[i], f[i], 1e-5 * Math.abs(d[i]));
        }
    }
}
