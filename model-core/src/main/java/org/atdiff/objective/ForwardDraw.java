package org.atdiff.objective;

import java.util.Arrays;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * One draw of the forward process for a minibatch: t ~ U{0..T-1} per sample, eps ~ N(0, I) and
 * x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps (DDPM eq. 4). Row b draws only from {@code noise.stream(b)}: first
 * its timestep, then its noise, so a sample's draws do not depend on the batch it is in.
 */
public record ForwardDraw(int[] indices, Tensor eps, Tensor xt, Tensor timesteps) {
    public static ForwardDraw draw(NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise) {
        if (x0 == null || x0.dim() < 2 || x0.size(0) < 1 || !x0.is_floating_point()) {
            throw new IllegalArgumentException("x0 must be a floating-point tensor [B, ...] with B >= 1, got "
                    + (x0 == null ? "null" : Arrays.toString(HostTensors.shape(x0))));
        }
        int b = Math.toIntExact(x0.size(0));
        if (labels != null && (labels.dim() != 1 || labels.size(0) != b)) {
            throw new IllegalArgumentException("labels must have shape [" + b + "], got "
                    + Arrays.toString(HostTensors.shape(labels)));
        }
        if (noise == null || noise.rows() != b) {
            throw new IllegalArgumentException("batch noise must have one stream per row (" + b + "), got "
                    + (noise == null ? "null" : noise.rows()));
        }
        int[] t = new int[b];
        for (int i = 0; i < b; i++) t[i] = noise.stream(i).nextInt(schedule.timesteps());
        Tensor eps = noise.normal(perRowShape(x0));
        return new ForwardDraw(t, eps, schedule.addNoise(x0, eps, t), schedule.modelTimesteps(t));
    }

    /** The shape of one row of x: [C, H, W] for images. */
    static long[] perRowShape(Tensor x) {
        long[] shape = HostTensors.shape(x);
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    /** The simple loss of DDPM eq. 14: mean over all elements of (eps_theta - target)^2. */
    public static Tensor squaredError(Tensor prediction, Tensor target) {
        return prediction.sub(target).square().mean();
    }
}
