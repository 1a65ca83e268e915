package org.atdiff.objective;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * Loss-aware importance sampling of timesteps (Nichol and Dhariwal 2021, sec. 3.3, eq. 18; improved-diffusion's
 * LossSecondMomentResampler): each t keeps its last {@value #HISTORY} losses; until every t has {@value #HISTORY},
 * t is uniform; then p_t is proportional to sqrt(E[L_t^2]) over that history, mixed with the uniform distribution with
 * weight {@value #UNIFORM_PROBABILITY}: w_t = (1 - 0.001) sqrt(E[L_t^2]) / sum_s sqrt(E[L_s^2]) + 0.001 / T, and
 * p_t = w_t / sum_s w_s. A sample's loss is weighted by 1 / (T p_t).
 *
 * <p>Replicas that record the same pairs in the same order hold the same history, bit for bit, and so draw alike.
 * The history (losses in double, counts) is the checkpointed state.
 */
public final class LossSecondMomentSampler implements TimestepSampler {
    /** Losses kept per timestep (improved-diffusion's history_per_term). */
    public static final int HISTORY = 10;
    /** Weight of the uniform distribution in the mixture (improved-diffusion's uniform_prob). */
    public static final double UNIFORM_PROBABILITY = 0.001;
    static final String LOSSES = "loss_history", COUNTS = "loss_counts";

    private final int timesteps;
    private final double[][] history;
    private final int[] counts;
    private double[] p, cdf; // p_t and its cumulative sums once warmed up; null until computed, reset by record

    public LossSecondMomentSampler(int timesteps) {
        if (timesteps < 1) throw new IllegalArgumentException("timesteps must be >= 1: " + timesteps);
        this.timesteps = timesteps;
        history = new double[timesteps][HISTORY];
        counts = new int[timesteps];
    }

    /** Whether every timestep has a full history (before that, t is uniform). */
    public boolean warmedUp() {
        for (int c : counts) if (c < HISTORY) return false;
        return true;
    }

    /** p_t for t = 0..T-1 (uniform until warmed up). */
    public double[] probabilities() {
        double[] w = new double[timesteps];
        if (!warmedUp()) {
            Arrays.fill(w, 1.0 / timesteps);
            return w;
        }
        double sum = 0;
        for (int t = 0; t < timesteps; t++) {
            double sq = 0;
            for (double l : history[t]) sq += l * l;
            w[t] = Math.sqrt(sq / HISTORY); // sqrt(E[L_t^2])
            sum += w[t];
        }
        if (!(sum > 0)) { // all recorded losses zero: nothing to prefer
            Arrays.fill(w, 1.0 / timesteps);
            return w;
        }
        double total = 0;
        for (int t = 0; t < timesteps; t++) {
            w[t] = w[t] / sum * (1 - UNIFORM_PROBABILITY) + UNIFORM_PROBABILITY / timesteps;
            total += w[t];
        }
        for (int t = 0; t < timesteps; t++) w[t] /= total;
        return w;
    }

    @Override
    public int draw(RandomStream stream, int timesteps) {
        requireTimesteps(timesteps);
        if (!warmedUp()) return stream.nextInt(timesteps); // the uniform sampler's draw, so runs agree until warm
        double[] c = cdf();
        double u = stream.nextUniform();
        int t = Arrays.binarySearch(c, u);
        t = t >= 0 ? t + 1 : -t - 1; // the first t with cdf[t] > u
        return Math.min(t, timesteps - 1);
    }

    @Override
    public double weight(int t, int timesteps) {
        requireTimesteps(timesteps);
        if (!warmedUp()) return 1.0;
        cdf();
        return 1.0 / (timesteps * p[t]); // resample.py: 1 / (len(p) * p[t])
    }

    @Override
    public boolean usesLosses() {
        return true;
    }

    @Override
    public void record(int[] t, double[] losses) {
        if (t.length != losses.length) {
            throw new IllegalArgumentException(t.length + " timesteps for " + losses.length + " losses");
        }
        for (int k = 0; k < t.length; k++) {
            int s = t[k];
            if (s < 0 || s >= timesteps) throw new IllegalArgumentException("timestep " + s + " is outside [0, " + timesteps + ")");
            if (counts[s] == HISTORY) { // drop the oldest
                System.arraycopy(history[s], 1, history[s], 0, HISTORY - 1);
                history[s][HISTORY - 1] = losses[k];
            } else {
                history[s][counts[s]++] = losses[k];
            }
        }
        p = cdf = null;
    }

    @Override
    public LinkedHashMap<String, Tensor> state() {
        double[] flat = new double[timesteps * HISTORY];
        long[] n = new long[timesteps];
        for (int t = 0; t < timesteps; t++) {
            System.arraycopy(history[t], 0, flat, t * HISTORY, HISTORY);
            n[t] = counts[t];
        }
        LinkedHashMap<String, Tensor> s = new LinkedHashMap<>();
        s.put(LOSSES, HostTensors.fromDoubles(flat, timesteps, HISTORY));
        s.put(COUNTS, HostTensors.fromLongs(n, timesteps));
        return s;
    }

    @Override
    public void restore(Map<String, Tensor> state, String source) {
        if (state.isEmpty()) return;
        Tensor losses = state.get(LOSSES), n = state.get(COUNTS);
        if (losses == null || n == null || !Arrays.equals(HostTensors.shape(losses), new long[] {timesteps, HISTORY})
                || !Arrays.equals(HostTensors.shape(n), new long[] {timesteps})) {
            throw new IllegalArgumentException(source + ": the loss-second-moment history is not [" + timesteps + ", "
                    + HISTORY + "] losses and [" + timesteps + "] counts (another diffusion.timesteps?): "
                    + state.keySet());
        }
        double[] flat = HostTensors.toDoubles(losses);
        long[] c = HostTensors.toLongs(n);
        for (int t = 0; t < timesteps; t++) {
            if (c[t] < 0 || c[t] > HISTORY) throw new IllegalArgumentException(source + ": loss count " + c[t] + " at t = " + t);
            System.arraycopy(flat, t * HISTORY, history[t], 0, HISTORY);
            counts[t] = (int) c[t];
        }
        p = cdf = null;
    }

    private double[] cdf() {
        if (cdf == null) {
            p = probabilities();
            cdf = new double[timesteps];
            double acc = 0;
            for (int t = 0; t < timesteps; t++) cdf[t] = acc += p[t];
        }
        return cdf;
    }

    private void requireTimesteps(int t) {
        if (t != timesteps) {
            throw new IllegalArgumentException("this loss-second-moment sampler keeps a history for " + timesteps
                    + " timesteps, not " + t);
        }
    }
}
