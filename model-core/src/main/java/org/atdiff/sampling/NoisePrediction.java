package org.atdiff.sampling;

import java.util.Arrays;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.DenoiserOutput;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/** One evaluation of the model at a schedule index for a whole batch, and the data prediction it implies. */
final class NoisePrediction {
    private NoisePrediction() {}

    /** eps_theta(x, t_i) for every row of x, at the model timestep of schedule index i. */
    static Tensor eps(Denoiser model, NoiseSchedule schedule, int i, Tensor x, Tensor labels) {
        int[] idx = new int[Math.toIntExact(x.size(0))];
        Arrays.fill(idx, i);
        return model.predictNoise(x, schedule.modelTimesteps(idx), labels);
    }

    /** eps_theta(x, t_i) and, for a learned-variance model, its variance output v ({@link Denoiser#predict}). */
    static DenoiserOutput output(Denoiser model, NoiseSchedule schedule, int i, Tensor x, Tensor labels) {
        int[] idx = new int[Math.toIntExact(x.size(0))];
        Arrays.fill(idx, i);
        return model.predict(x, schedule.modelTimesteps(idx), labels);
    }

    /** x0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar) (Ho et al. 2020, eq. 15 solved for x0). */
    static Tensor x0(NoiseSchedule schedule, int i, Tensor x, Tensor eps) {
        return x.sub(eps.mul(new Scalar(schedule.sqrtOneMinusAlphaBar(i)))).div(new Scalar(schedule.sqrtAlphaBar(i)));
    }

    /** eps = (x_t - sqrt(abar) x0) / sqrt(1 - abar), the noise consistent with a (clipped) x0. */
    static Tensor epsFromX0(NoiseSchedule schedule, int i, Tensor x, Tensor x0) {
        return x.sub(x0.mul(new Scalar(schedule.sqrtAlphaBar(i)))).div(new Scalar(schedule.sqrtOneMinusAlphaBar(i)));
    }

    /** Clamps to the data range [-1, 1]. */
    static Tensor clampToData(Tensor x) {
        return x.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
    }
}
