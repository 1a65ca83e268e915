package org.atdiff.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

class DiscretizedGaussianLikelihoodTest {
    private static final int[] PIXELS = {0, 1, 50, 127, 128, 200, 254, 255};
    private static final double[] MEANS = {-1.2, -0.3, 0.0, 0.5, 0.99};
    private static final double[] SCALES = {0.002, 0.01, 0.1, 0.7};

    /**
     * log P(pixel k) under N(mean, scale^2), written independently of the code under test: the density integrated by
     * Simpson's rule over the pixel's bin [x - 1/255, x + 1/255] (x = k / 127.5 - 1), the end bins from / to
     * mean -+ 40 scale (beyond which the mass is below e^-800), in double; floored at 1e-12 like the likelihood.
     */
    static double expectedLog(int k, double mean, double scale) {
        double x = k / 127.5 - 1;
        double lo = k == 0 ? mean - 40 * scale : x - 1 / 255.0;
        double hi = k == 255 ? mean + 40 * scale : x + 1 / 255.0;
        lo = Math.max(lo, mean - 40 * scale);
        hi = Math.min(hi, mean + 40 * scale);
        double mass = 0;
        if (hi > lo) {
            int n = 20_000;
            double h = (hi - lo) / n;
            for (int i = 0; i <= n; i++) {
                double y = lo + i * h, z = (y - mean) / scale;
                mass += Math.exp(-0.5 * z * z) * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
            }
            mass *= h / 3 / (scale * Math.sqrt(2 * Math.PI));
        }
        return Math.log(Math.max(mass, 1e-12));
    }

    private static double[] logProbabilities(ScalarType dtype, double mean, double scale) {
        double[] x = new double[PIXELS.length];
        for (int i = 0; i < x.length; i++) x[i] = PIXELS[i] / 127.5 - 1;
        Tensor xs = HostTensors.fromDoubles(x, 1, x.length).to(dtype);
        Tensor means = xs.mul(new org.bytedeco.pytorch.Scalar(0.0)).add(new org.bytedeco.pytorch.Scalar(mean));
        Tensor logScale = HostTensors.fromDoubles(new double[] {Math.log(scale)}, 1, 1).to(dtype);
        return HostTensors.toDoubles(DiscretizedGaussianLikelihood.logProbability(xs, means, logScale));
    }

    @Test
    void matchesTheIntegratedDensityOnTheUint8Grid() {
        try (PointerScope scope = new PointerScope()) {
            int checked = 0, floored = 0;
            for (double m : MEANS) {
                for (double s : SCALES) {
                    double[] got = logProbabilities(ScalarType.Double, m, s);
                    for (int i = 0; i < PIXELS.length; i++) {
                        double expected = expectedLog(PIXELS[i], m, s);
                        if (expected <= Math.log(1e-12)) floored++;
                        assertEquals(expected, got[i], 1e-8 * Math.max(1, Math.abs(expected)),
                                "pixel " + PIXELS[i] + ", mean " + m + ", scale " + s);
                        checked++;
                    }
                }
            }
            assertEquals(MEANS.length * SCALES.length * PIXELS.length, checked);
            assertTrue(floored > 0 && floored < checked - 50, "both regimes covered: " + floored + " floored");
        }
    }

    @Test
    void theBinsOfAll256PixelValuesSumToOne() {
        try (PointerScope scope = new PointerScope()) {
            double[] x = new double[256];
            for (int k = 0; k < 256; k++) x[k] = k / 127.5 - 1;
            for (double[] ms : new double[][] {{0.13, 0.3}, {-0.97, 0.05}, {0.4, 1.0}}) {
                Tensor xs = HostTensors.fromDoubles(x, 256);
                Tensor mean = HostTensors.fromDoubles(new double[] {ms[0]}, 1);
                Tensor logScale = HostTensors.fromDoubles(new double[] {Math.log(ms[1])}, 1);
                double total = DiscretizedGaussianLikelihood.logProbability(xs, mean, logScale).exp().sum().item_double();
                assertEquals(1.0, total, 1e-9, // bins below the 1e-12 floor add up to 256e-12
                         "mean " + ms[0] + ", scale " + ms[1]);
            }
        }
    }

    @Test
    void float32AgreesWithFloat64() {
        try (PointerScope scope = new PointerScope()) {
            for (double s : SCALES) {
                double[] d = logProbabilities(ScalarType.Double, 0.3, s), f = logProbabilities(ScalarType.Float, 0.3, s);
                for (int i = 0; i < d.length; i++) assertEquals(d[i], f[i], 1e-4 * Math.max(1, Math.abs(d[i])), "scale " + s);
            }
        }
    }
}
