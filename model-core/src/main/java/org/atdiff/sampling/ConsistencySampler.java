package org.atdiff.sampling;

import java.util.Arrays;
import org.atdiff.consistency.ConsistencyFunction;
import org.atdiff.consistency.ConsistencyMetric;
import org.atdiff.consistency.ConsistencyNetwork;
import org.atdiff.consistency.ConsistencyParameterization;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.consistency.TeacherSolver;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.nn.Denoiser;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * Multistep consistency sampling (Song et al., "Consistency Models", 2023, Algorithm 1; {@code sample.sampler = cm}),
 * nfe = the number of consistency-function evaluations: x = f(x_T, T-1); then for each re-noising time
 * tau_1 > tau_2 > ...: x_tau = x + sqrt(sigma_tau^2 - sigma_min^2) z and x = f(x_tau, tau). Each x0 estimate is
 * clamped to [-1, 1] (the released code's clip_denoised). x_T in DDPM coordinates becomes x_T / sqrt(abar_{T-1}) in
 * CM coordinates ({@link ConsistencyParameterization}).
 *
 * <p>The re-noising times are {@code cm.sampling-times}, of which nfe steps use the first nfe - 1 (so a list found
 * greedily, one time after another as in Song et al. 2023, sec. 6, serves every nfe up to its length + 1); when the
 * list is empty they are the trailing timesteps of nfe steps ({@link TimestepSpacing#TRAILING}) below T-1.
 *
 * <p>The model is used as a {@link ConsistencyFunction} when it is one; any other {@link Denoiser} (a U-Net trained
 * with {@code cd} or {@code ct}) is taken as the network F of the skip/out parameterisation with this sampler's
 * sigma_data.
 */
public final class ConsistencySampler implements Sampler {
    private final double sigmaData;
    private final int[] samplingTimes;

    /**
     * @param sigmaData     sigma_data of the parameterisation the model was trained with ({@code cm.sigma-data})
     * @param samplingTimes {@code cm.sampling-times}: strictly decreasing timesteps, or empty
     */
    public ConsistencySampler(double sigmaData, int[] samplingTimes) {
        // ConsistencySettings validates both and names the keys
        ConsistencySettings s = new ConsistencySettings("", TeacherSolver.DDIM, 2, 1, 1, 1, ConsistencyMetric.L2, 0,
                sigmaData, samplingTimes);
        this.sigmaData = s.sigmaData();
        this.samplingTimes = s.samplingTimes();
    }

    public ConsistencySampler(ConsistencySettings settings) {
        this(settings.sigmaData(), settings.samplingTimes());
    }

    /** The consistency function a sampler run uses for {@code model} on {@code schedule}. */
    public ConsistencyFunction consistencyFunction(Denoiser model, NoiseSchedule schedule) {
        if (model instanceof ConsistencyFunction f) {
            if (f.parameterization().schedule().timesteps() != schedule.timesteps()) {
                throw new IllegalArgumentException("the consistency function has " + f.parameterization().timesteps()
                        + " timesteps but the schedule " + schedule.timesteps());
            }
            return f;
        }
        return new ConsistencyNetwork(model, new ConsistencyParameterization(schedule, sigmaData));
    }

    /** The re-noising timesteps tau_1 > ... > tau_{nfe-1} of an nfe-step run on {@code schedule}. */
    public int[] renoisingTimes(NoiseSchedule schedule, int nfe) {
        int T = schedule.timesteps();
        if (nfe < 1 || nfe > T) throw new IllegalArgumentException("number of CM steps must be in [1, " + T + "]: " + nfe);
        if (samplingTimes.length == 0) {
            int[] trailing = TimestepSpacing.TRAILING.timesteps(schedule, nfe); // increasing, last = T-1
            int[] tau = new int[nfe - 1];
            for (int i = 0; i < nfe - 1; i++) tau[i] = trailing[nfe - 2 - i];
            return tau;
        }
        if (samplingTimes.length < nfe - 1) {
            throw new IllegalArgumentException(nfe + " CM steps need " + (nfe - 1) + " re-noising times but "
                    + "cm.sampling-times has " + samplingTimes.length + ": " + Arrays.toString(samplingTimes));
        }
        if (samplingTimes[0] >= T - 1) {
            throw new IllegalArgumentException("cm.sampling-times must lie below T-1 = " + (T - 1) + ": "
                    + Arrays.toString(samplingTimes));
        }
        return Arrays.copyOf(samplingTimes, nfe - 1);
    }

    @Override
    public Tensor sample(Denoiser model, NoiseSchedule schedule, int nfe, Tensor xT, Tensor labels, BatchNoise noise) {
        long[] shape = HostTensors.shape(xT);
        if (shape.length < 2 || shape[0] != noise.rows()) {
            throw new IllegalArgumentException("xT must be a batch [B, ...] with one noise stream per row: shape "
                    + Arrays.toString(shape) + ", " + noise.rows() + " streams");
        }
        long[] rowShape = Arrays.copyOfRange(shape, 1, shape.length);
        int[] tau = renoisingTimes(schedule, nfe);
        ConsistencyFunction f = consistencyFunction(model, schedule);
        ConsistencyParameterization p = f.parameterization();
        int b = (int) shape[0];
        Tensor x; // the current x0 estimate, retained across the per-step scopes
        try (PointerScope scope = new PointerScope()) {
            int[] last = filled(b, schedule.timesteps() - 1);
            x = clamp(f.apply(p.fromDiffusion(xT, last), last, labels)).retainReference();
        }
        for (int t : tau) {
            try (PointerScope scope = new PointerScope()) {
                double scale = Math.sqrt(Math.max(0, p.sigma(t) * p.sigma(t) - p.sigmaMin() * p.sigmaMin()));
                Tensor xTau = x.add(noise.normal(rowShape).to(x.scalar_type()).mul(new Scalar(scale)));
                Tensor next = clamp(f.apply(xTau, filled(b, t), labels)).retainReference();
                x.releaseReference();
                x = next;
            }
        }
        Tensor out = x.clone(); // owned by the caller's scope
        x.releaseReference();
        return out;
    }

    private static int[] filled(int b, int t) {
        int[] a = new int[b];
        Arrays.fill(a, t);
        return a;
    }

    private static Tensor clamp(Tensor x) {
        return x.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
    }
}
