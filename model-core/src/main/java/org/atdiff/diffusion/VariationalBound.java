package org.atdiff.diffusion;

import java.util.Arrays;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.random.BatchNoise;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The full variational bound on the negative log-likelihood of images, in bits per dimension (Ho et al. 2020, eq. 5;
 * improved-diffusion's calc_bpd_loop): with schedule indices i = 0..T-1, -log p(x_0) <= L_prior + sum_i L_i, where
 * L_prior = KL(q(x_T | x_0) || N(0, I)) and each L_i ({@link VariationalBoundTerm}) is evaluated at one draw
 * x_i ~ q(x_i | x_0), at every timestep of the schedule.
 *
 * <p>The model's reverse step is {@link ReverseGaussian#of} with x0^ clipped to [-1, 1] (improved-diffusion evaluates
 * its bound with clip_denoised = True) and the learned variance when the model outputs v; a fixed-variance model is
 * evaluated with {@link FixedVariance#LARGE} (beta_t; improved-diffusion's default for such models, and the larger
 * of the two fixed variances, which bounds the likelihood better at the large t where most terms lie).
 *
 * <p>Row b draws the noise of every timestep from {@code noise.stream(b)} only, from i = T-1 down to 0, so an image's
 * bound does not depend on its batch.
 */
public final class VariationalBound {
    /** The variance a model without a learned variance is evaluated with. */
    public static final FixedVariance FIXED_VARIANCE = FixedVariance.LARGE;
    private static final double LN2 = Math.log(2.0);

    /**
     * The bound's terms for a batch, in bits per dimension.
     *
     * @param terms terms[b][i] = L_i of image b (i = 0 is the decoder term)
     * @param prior prior[b] = L_prior of image b
     */
    public record Terms(double[][] terms, double[] prior) {
        /** The bound of image b: L_prior + sum_i L_i. */
        public double total(int b) {
            return prior[b] + Arrays.stream(terms[b]).sum();
        }

        public int rows() {
            return prior.length;
        }
    }

    private VariationalBound() {}

    /**
     * @param x0     images on the uint8 grid in [-1, 1], [B, C, H, W], float or double (the model's dtype)
     * @param labels class labels [B], or null for an unconditional model
     * @param noise  one stream per row
     */
    public static Terms evaluate(Denoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise) {
        int b = Math.toIntExact(x0.size(0)), steps = schedule.timesteps();
        if (noise.rows() != b) throw new IllegalArgumentException("noise has " + noise.rows() + " rows for " + b + " images");
        long[] rowShape = Arrays.copyOfRange(HostTensors.shape(x0), 1, (int) x0.dim());
        double[][] terms = new double[b][steps];
        for (int i = steps - 1; i >= 0; i--) {
            try (PointerScope scope = new PointerScope()) {
                int[] indices = new int[b];
                Arrays.fill(indices, i);
                Tensor eps = noise.normal(rowShape).to(x0.scalar_type());
                // x_i = sqrt(abar_i) x0 + sqrt(1 - abar_i) eps (DDPM eq. 4)
                Tensor xt = x0.mul(schedule.perSample(indices, schedule::sqrtAlphaBar, x0))
                        .add(eps.mul(schedule.perSample(indices, schedule::sqrtOneMinusAlphaBar, x0)));
                DenoiserOutput out = model.predict(xt, schedule.modelTimesteps(indices), labels);
                ReverseGaussian p = ReverseGaussian.of(schedule, indices, xt, out.eps(), out.v(), FIXED_VARIANCE, true);
                double[] l = HostTensors.toDoubles(VariationalBoundTerm.bitsPerDim(schedule, indices, x0, xt, p)
                        .to(ScalarType.Double));
                for (int r = 0; r < b; r++) terms[r][i] = l[r];
            }
        }
        double[] prior;
        try (PointerScope scope = new PointerScope()) {
            prior = HostTensors.toDoubles(priorBitsPerDim(schedule, x0).to(ScalarType.Double));
        }
        return new Terms(terms, prior);
    }

    /** L_prior = KL(q(x_T | x_0) || N(0, I)) = KL(N(sqrt(abar_T) x0, 1 - abar_T) || N(0, 1)) per sample, bits/dim. */
    public static Tensor priorBitsPerDim(NoiseSchedule schedule, Tensor x0) {
        int last = schedule.timesteps() - 1;
        int[] indices = new int[Math.toIntExact(x0.size(0))];
        Arrays.fill(indices, last);
        Tensor mean = x0.mul(schedule.perSample(indices, schedule::sqrtAlphaBar, x0));
        Tensor logVar = schedule.perSample(indices, i -> Math.log1p(-schedule.alphaBar(i)), x0);
        Tensor zero = logVar.new_zeros(1);
        return VariationalBoundTerm.meanPerSample(GaussianKl.elementwise(mean, logVar, zero, zero)
                .expand(HostTensors.shape(x0))).div(new Scalar(LN2));
    }
}
