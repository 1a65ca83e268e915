package org.atdiff.consistency;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The consistency model on the discrete DDPM schedule the U-Net was trained on.
 *
 * <p><b>Coordinates.</b> Consistency models are defined on the variance-exploding process x = x0 + sigma eps (Song
 * et al., "Consistency Models", 2023, sec. 2). DDPM's x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps is that process
 * scaled by sqrt(abar_t), with sigma_t = sqrt((1 - abar_t) / abar_t) (Karras et al. 2022, sec. 2 and Table 1, VP).
 * So the state of the consistency model at schedule timestep t is x = x_t / sqrt(abar_t), and the network sees
 * x_t = sqrt(abar_t) x, exactly the input it was trained on. Time is the schedule's timestep index t in 0..T-1;
 * the smallest time is t = 0 (sigma_min = sigma_0 > 0, the role of Song et al.'s epsilon).
 *
 * <p><b>Parameterisation.</b> f(x, t) = c_skip(t) x + c_out(t) F(x, t) (Song et al. 2023, eq. 5) where F is the
 * U-Net's data prediction x0 = (x_t - sqrt(1 - abar) eps_theta) / sqrt(abar) = x - sigma eps_theta(sqrt(abar) x, t)
 * (DDPM eq. 15 in CM coordinates; the same choice as Latent Consistency Models, Luo et al. 2023, sec. 4.2), and
 * c_skip(t) = sigma_data^2 / ((sigma_t - sigma_min)^2 + sigma_data^2) (Song et al. 2023, Appendix C),
 * c_out(t) = 1 - c_skip(t) = (sigma_t - sigma_min)^2 / ((sigma_t - sigma_min)^2 + sigma_data^2).
 * c_out differs from Appendix C's sigma_data (sigma - sigma_min) / sqrt(sigma^2 + sigma_data^2) because F is
 * already on the data's scale, not EDM's unit-variance network output: with c_skip + c_out = 1 a perfect x0
 * predictor at sigma_min gives f = x0, and at large sigma f tends to F, the teacher's one-step estimate when the
 * student starts from the teacher's weights. The boundary condition holds exactly: at t = 0, sigma - sigma_min = 0,
 * c_skip = 1.0 and c_out = 0.0 in floating point, so f(x, 0) = x bit for bit.
 */
public final class ConsistencyParameterization {
    private final NoiseSchedule schedule;
    private final double sigmaData;
    private final double[] sigma;

    /** @param schedule the schedule the network was trained on (not respaced) */
    public ConsistencyParameterization(NoiseSchedule schedule, double sigmaData) {
        if (schedule == null) throw new IllegalArgumentException("noise schedule must be given");
        if (!(sigmaData > 0) || Double.isInfinite(sigmaData)) {
            throw new IllegalArgumentException("cm.sigma-data must be positive and finite: " + sigmaData);
        }
        this.schedule = schedule;
        this.sigmaData = sigmaData;
        sigma = new double[schedule.timesteps()];
        for (int t = 0; t < sigma.length; t++) sigma[t] = schedule.sqrtOneMinusAlphaBar(t) / schedule.sqrtAlphaBar(t);
        for (int t = 1; t < sigma.length; t++) {
            if (!(sigma[t] > sigma[t - 1])) throw new IllegalArgumentException("sigma must increase with t at t = " + t);
        }
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    public double sigmaData() {
        return sigmaData;
    }

    /** Number of timesteps T. */
    public int timesteps() {
        return sigma.length;
    }

    /** sigma_t = sqrt((1 - abar_t) / abar_t), the noise level of timestep t in CM coordinates. */
    public double sigma(int t) {
        return sigma[check(t)];
    }

    public double sigmaMin() {
        return sigma[0];
    }

    public double sigmaMax() {
        return sigma[sigma.length - 1];
    }

    /** c_skip(t) = sigma_data^2 / ((sigma_t - sigma_min)^2 + sigma_data^2) (Song et al. 2023, Appendix C). */
    public double cSkip(int t) {
        double d = sigma(t) - sigma[0];
        return sigmaData * sigmaData / (d * d + sigmaData * sigmaData);
    }

    /** c_out(t) = 1 - c_skip(t), written so that it is exactly 0 at t = 0 (see the class doc). */
    public double cOut(int t) {
        double d = sigma(t) - sigma[0];
        return d * d / (d * d + sigmaData * sigmaData);
    }

    /** CM coordinates of a DDPM state: x = x_t / sqrt(abar_t). */
    public Tensor fromDiffusion(Tensor xt, int[] t) {
        return xt.div(perSample(t.length, b -> schedule.sqrtAlphaBar(t[b]), xt));
    }

    /** DDPM coordinates of a CM state: x_t = sqrt(abar_t) x = x / sqrt(1 + sigma_t^2). */
    public Tensor toDiffusion(Tensor x, int[] t) {
        return x.mul(perSample(t.length, b -> schedule.sqrtAlphaBar(t[b]), x));
    }

    /** eps_theta of an eps-prediction network at the CM state x, evaluated on its own input x_t = sqrt(abar_t) x. */
    public Tensor noise(Denoiser network, Tensor x, int[] t, Tensor labels) {
        requireBatch(x, t);
        return network.predictNoise(toDiffusion(x, t), schedule.modelTimesteps(t), labels);
    }

    /** F(x, t) = x - sigma_t eps_theta(x_t, t): the network's data prediction (DDPM eq. 15 in CM coordinates). */
    public Tensor dataPrediction(Denoiser network, Tensor x, int[] t, Tensor labels) {
        return x.sub(noise(network, x, t, labels).mul(perSample(t.length, b -> sigma(t[b]), x)));
    }

    /** f(x, t) = c_skip(t) x + c_out(t) F(x, t) (Song et al. 2023, eq. 5) with F the network's data prediction. */
    public Tensor consistency(Denoiser network, Tensor x, int[] t, Tensor labels) {
        Tensor f = dataPrediction(network, x, t, labels);
        return x.mul(perSample(t.length, b -> cSkip(t[b]), x)).add(f.mul(perSample(t.length, b -> cOut(t[b]), x)));
    }

    /** c(b) for rows b = 0..rows-1 as a tensor [rows, 1, ..., 1] with the rank and dtype of {@code like}. */
    public Tensor perSample(int rows, IntToDoubleFunction c, Tensor like) {
        double[] v = new double[rows];
        for (int b = 0; b < rows; b++) v[b] = c.applyAsDouble(b);
        long[] shape = new long[(int) like.dim()];
        Arrays.fill(shape, 1);
        shape[0] = rows;
        return HostTensors.fromDoubles(v, shape).to(like.scalar_type());
    }

    private int check(int t) {
        if (t < 0 || t >= sigma.length) {
            throw new IllegalArgumentException("timestep must be in [0, " + (sigma.length - 1) + "]: " + t);
        }
        return t;
    }

    private static void requireBatch(Tensor x, int[] t) {
        if (x.dim() < 2 || x.size(0) != t.length) {
            throw new IllegalArgumentException("x must be a batch [B, ...] with one timestep per row: shape "
                    + Arrays.toString(HostTensors.shape(x)) + ", " + t.length + " timesteps");
        }
    }
}
