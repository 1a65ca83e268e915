package org.atdiff.consistency;

import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/** Test data: every pixel i.i.d. N(mean, std^2), and the moments of a batch of images. */
final class GaussianData {
    private GaussianData() {}

    static Tensor batch(RandomStream rng, int b, int channels, int size, double mean, double std) {
        float[] g = rng.gaussians(b * channels * size * size);
        for (int i = 0; i < g.length; i++) g[i] = (float) (mean + std * g[i]);
        return HostTensors.fromFloats(g, b, channels, size, size);
    }

    /** {mean, std} over all elements. */
    static double[] moments(Tensor x) {
        double[] v = HostTensors.toDoubles(x.to(org.bytedeco.pytorch.global.torch.ScalarType.Double));
        double s = 0, ss = 0;
        for (double d : v) s += d;
        double m = s / v.length;
        for (double d : v) ss += (d - m) * (d - m);
        return new double[] {m, Math.sqrt(ss / v.length)};
    }

    /** Euclidean distance of (mean, std) from (m, s). */
    static double distance(double[] moments, double m, double s) {
        return Math.hypot(moments[0] - m, moments[1] - s);
    }
}
