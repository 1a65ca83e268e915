package org.atdiff.sampling;

import java.util.Arrays;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The exact optimal noise predictor for data x0 ~ N(m, s^2 I): with x_t = sqrt(abar) x0 + sqrt(1 - abar) eps,
 * E[eps | x_t] = sqrt(1 - abar) (x_t - sqrt(abar) m) / (abar s^2 + 1 - abar) (Gaussian conditioning). A model with
 * a known answer, for testing samplers and objectives.
 *
 * <p>abar at a model timestep t (the original scale 0..T-1 of {@code schedule}, which must be the schedule the
 * "model" is trained on, not a respaced one) is the schedule's abar at integer t, and at a fractional t the
 * interpolation the samplers use ({@link NoiseSchedule#alphaBarAt}: log abar linear between floor(t) and ceil(t)).
 * Labels are ignored.
 */
public final class GaussianDataDenoiser implements Denoiser {
    private final NoiseSchedule schedule;
    private final double mean;
    private final double std;

    public GaussianDataDenoiser(NoiseSchedule schedule, double mean, double std) {
        if (!(std > 0)) throw new IllegalArgumentException("data std must be positive: " + std);
        this.schedule = schedule;
        this.mean = mean;
        this.std = std;
    }

    @Override
    public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
        float[] ts = HostTensors.toFloats(t);
        if (ts.length != x.size(0)) {
            throw new IllegalArgumentException("t has " + ts.length + " entries for a batch of " + x.size(0));
        }
        float[] slope = new float[ts.length], offset = new float[ts.length];
        for (int b = 0; b < ts.length; b++) {
            double abar = schedule.alphaBarAt(ts[b]);
            double denom = abar * std * std + 1 - abar;
            slope[b] = (float) (Math.sqrt(1 - abar) / denom); // eps* = slope x_t + offset
            offset[b] = (float) (-Math.sqrt(1 - abar) * Math.sqrt(abar) * mean / denom);
        }
        long[] col = new long[(int) x.dim()];
        Arrays.fill(col, 1);
        col[0] = ts.length;
        return x.mul(HostTensors.fromFloats(slope, col)).add(HostTensors.fromFloats(offset, col));
    }
}
