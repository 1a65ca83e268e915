package org.atdiff.consistency;

import org.atdiff.nn.Denoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * A consistency function f(x, t): maps a state x = x0 + sigma_t eps of the probability-flow ODE at schedule
 * timestep t to the ODE's end point, an estimate of x0 (Song et al., "Consistency Models", 2023, sec. 3), in the CM
 * coordinates of {@link ConsistencyParameterization}. It is also a {@link Denoiser}: the noise its x0 estimate implies,
 * so that a consistency model can travel through the {@link org.atdiff.sampling.Sampler} interface (the {@code cm}
 * sampler calls {@link #apply} directly; the other samplers may use the implied noise).
 */
public interface ConsistencyFunction extends Denoiser {
    /** The parameterisation (schedule, sigma_data) this function is defined on. */
    ConsistencyParameterization parameterization();

    /**
     * @param x      states in CM coordinates, [B, C, H, W]
     * @param t      a schedule timestep in [0, T-1] per row
     * @param labels class labels [B] or null
     * @return f(x, t), the x0 estimate, same shape as x; f(x, 0) = x
     */
    Tensor apply(Tensor x, int[] t, Tensor labels);

    /**
     * eps = (x_t - sqrt(abar_t) f) / sqrt(1 - abar_t) with f = f(x_t / sqrt(abar_t), t) (DDPM eq. 4 solved for eps).
     * t must hold integer timesteps of the parameterisation's schedule.
     */
    @Override
    default Tensor predictNoise(Tensor xt, Tensor t, Tensor labels) {
        ConsistencyParameterization p = parameterization();
        float[] ts = HostTensors.toFloats(t);
        int[] idx = new int[ts.length];
        for (int b = 0; b < ts.length; b++) {
            idx[b] = (int) ts[b];
            if (idx[b] != ts[b] || idx[b] < 0 || idx[b] >= p.timesteps() || p.schedule().modelTimestep(idx[b]) != idx[b]) {
                throw new IllegalArgumentException("a consistency function is defined at the integer timesteps of its "
                        + "schedule only: " + ts[b]);
            }
        }
        Tensor f = apply(p.fromDiffusion(xt, idx), idx, labels);
        return xt.sub(p.toDiffusion(f, idx)).div(p.perSample(idx.length, b -> p.schedule().sqrtOneMinusAlphaBar(idx[b]), xt));
    }
}
