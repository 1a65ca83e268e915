package org.atdiff.sampling;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class GaussianDataDenoiserTest {
    static final NoiseSchedule COSINE = NoiseSchedule.named("cosine", 1000);

    @Test
    void matchesTheClosedFormAtIntegerAndFractionalTimesteps() {
        double m = 0.3, s = 0.5;
        GaussianDataDenoiser d = new GaussianDataDenoiser(COSINE, m, s);
        try (PointerScope scope = new PointerScope()) {
            Tensor x = HostTensors.fromFloats(new float[] {0.7f, -1.2f, 0.1f}, 3, 1, 1, 1);
            float[] t = {0, 412, 412.25f};
            float[] eps = HostTensors.toFloats(d.predictNoise(x, HostTensors.fromFloats(t, 3), null));
            double[] abar = {COSINE.alphaBar(0), COSINE.alphaBar(412), Math.exp(0.75 * Math.log(COSINE.alphaBar(412)) + 0.25 * Math.log(COSINE.alphaBar(413)))};
            float[] xs = {0.7f, -1.2f, 0.1f};
            for (int b = 0; b < 3; b++) {
                double a = abar[b];
                double expected = Math.sqrt(1 - a) * (xs[b] - Math.sqrt(a) * m) / (a * s * s + 1 - a);
                assertEquals(expected, eps[b], 1e-6, "row " + b);
            }
            assertThrows(IllegalArgumentException.class, () -> d.predictNoise(x, HostTensors.fromFloats(new float[] {0, 1, 1000}, 3), null));
        }
    }

    @Test
    void isTheConditionalMeanOfTheNoise() {
        // E[eps | x_t]: the residual eps - eps*(x_t) has mean 0, is uncorrelated with x_t (orthogonality), and its
        // mean square is Var(eps | x_t) = abar s^2 / (abar s^2 + 1 - abar)
        double m = 0.3, s = 0.5;
        int n = 100_000, t = 300;
        double a = COSINE.alphaBar(t);
        GaussianDataDenoiser d = new GaussianDataDenoiser(COSINE, m, s);
        RandomStream rng = new RandomStream(3);
        float[] x0 = rng.gaussians(n), eps = rng.gaussians(n), xt = new float[n];
        for (int j = 0; j < n; j++) xt[j] = (float) (Math.sqrt(a) * (m + s * x0[j]) + Math.sqrt(1 - a) * eps[j]);
        try (PointerScope scope = new PointerScope()) {
            float[] t1 = {t};
            float[] pred = HostTensors.toFloats(d.predictNoise(HostTensors.fromFloats(xt, 1, n), HostTensors.fromFloats(t1, 1), null));
            double r = 0, rx = 0, rr = 0;
            for (int j = 0; j < n; j++) {
                double res = eps[j] - pred[j];
                r += res;
                rx += res * (xt[j] - Math.sqrt(a) * m);
                rr += res * res;
            }
            double var = a * s * s / (a * s * s + 1 - a);
            assertEquals(0, r / n, 5 * Math.sqrt(var / n));
            assertEquals(0, rx / n, 5 * Math.sqrt(var * (a * s * s + 1 - a) / n));
            assertEquals(var, rr / n, 5 * var * Math.sqrt(2.0 / n));
        }
    }
}
