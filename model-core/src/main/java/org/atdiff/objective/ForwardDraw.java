package org.atdiff.objective;

import java.util.Arrays;
import java.util.OptionalDouble;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * One draw of the forward process for a minibatch: t per sample from a {@link TimestepSampler} (uniform by default),
 * eps ~ N(0, I) and x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps (DDPM eq. 4). Row b draws only from
 * {@code noise.stream(b)}: first its timestep, then its noise, so a sample's draws do not depend on the batch it is in.
 *
 * @param weights the importance weight 1 / (T p_t) of each row's loss (all 1 for uniform t)
 */
public record ForwardDraw(int[] indices, Tensor eps, Tensor xt, Tensor timesteps, double[] weights) {
    /** A draw with uniform timesteps. */
    public static ForwardDraw draw(NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise) {
        return draw(schedule, x0, labels, noise, TimestepSampler.UNIFORM);
    }

    public static ForwardDraw draw(NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                                   TimestepSampler sampler) {
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
        int steps = schedule.timesteps();
        int[] t = new int[b];
        double[] w = new double[b];
        for (int i = 0; i < b; i++) {
            t[i] = sampler.draw(noise.stream(i), steps);
            w[i] = sampler.weight(t[i], steps);
        }
        Tensor eps = noise.normal(perRowShape(x0));
        return new ForwardDraw(t, eps, schedule.addNoise(x0, eps, t), schedule.modelTimesteps(t), w);
    }

    /** The shape of one row of x: [C, H, W] for images. */
    static long[] perRowShape(Tensor x) {
        long[] shape = HostTensors.shape(x);
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    /**
     * One update regressing eps from {@code input} (x_t, or a perturbed x_t that also stands for x_t in L_vlb): the
     * weighted mean of {@link DenoisingLoss#perSample}, backward, then {@code update}.
     */
    StepStats denoisingStep(TrainableDenoiser model, NoiseSchedule schedule, Tensor input, Tensor x0, Tensor labels,
                            TimestepSampler sampler, ParameterUpdate update) {
        DenoiserOutput out = model.predict(input, timesteps, labels);
        Tensor perSample = DenoisingLoss.perSample(schedule, indices, out, eps, input, x0, input);
        Tensor loss = weightedMean(perSample);
        loss.backward();
        double value = loss.item_double();
        update.apply(value);
        return StepStats.of(value, OptionalDouble.empty(), 1, sampler, indices, perSample, 1);
    }

    /** The minibatch loss mean_b w_b L_b from per-sample losses [B] (the plain mean when every weight is 1). */
    public Tensor weightedMean(Tensor perSample) {
        for (double w : weights) {
            if (w != 1.0) return perSample.mul(HostTensors.fromDoubles(weights, weights.length).to(perSample.scalar_type())).mean();
        }
        return perSample.mean();
    }
}
