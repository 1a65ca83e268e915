package org.atdiff.diffusion;

import java.util.Arrays;

/**
 * A schedule that keeps only some timesteps t_0 < t_1 < ... < t_{n-1} of a parent schedule, with
 * beta_i = 1 - abar_{t_i} / abar_{t_{i-1}} (abar_{t_{-1}} = 1), so that abar at index i is the parent's abar at
 * t_i (improved-diffusion's respace.py). {@link #modelTimestep(int)} returns the parent's timestep for t_i,
 * which is what the network was trained on.
 *
 * <p>abar is the parent's, bit for bit (the product of the new (1 - beta_i) would lose up to about
 * 1e-16 / (abar_{t_i} / abar_{t_{i-1}}) relative accuracy where a step spans a large drop of abar).
 */
public final class RespacedSchedule extends NoiseSchedule {
    private final NoiseSchedule parent;
    private final int[] kept;

    /**
     * @param parent    the schedule the network was trained on
     * @param kept      strictly increasing timesteps of {@code parent}, each in [0, T-1]
     */
    public RespacedSchedule(NoiseSchedule parent, int[] kept) {
        super(betas(parent, kept), alphaBars(parent, kept));
        this.parent = parent;
        this.kept = kept.clone();
    }

    /** The parent's timesteps kept, in increasing order. */
    public int[] keptTimesteps() {
        return kept.clone();
    }

    public NoiseSchedule parent() {
        return parent;
    }

    /** The parent's model timestep for index i (composes when the parent is itself respaced). */
    @Override
    public int modelTimestep(int i) {
        return parent.modelTimestep(kept[i]);
    }

    private static double[] alphaBars(NoiseSchedule parent, int[] kept) {
        double[] ab = new double[kept.length];
        for (int i = 0; i < kept.length; i++) ab[i] = parent.alphaBar(kept[i]);
        return ab;
    }

    private static double[] betas(NoiseSchedule parent, int[] kept) {
        if (kept.length == 0) throw new IllegalArgumentException("kept timesteps must not be empty");
        double[] b = new double[kept.length];
        double prev = 1.0;
        for (int i = 0; i < kept.length; i++) {
            int t = kept[i];
            if (t < 0 || t >= parent.timesteps() || (i > 0 && t <= kept[i - 1])) {
                throw new IllegalArgumentException("kept timesteps must be strictly increasing in [0, "
                        + (parent.timesteps() - 1) + "]: " + Arrays.toString(kept));
            }
            b[i] = 1.0 - parent.alphaBar(t) / prev; // respace.py: beta_i = 1 - abar_{t_i} / abar_{t_{i-1}}
            prev = parent.alphaBar(t);
        }
        return b;
    }
}
