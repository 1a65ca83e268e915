package org.atdiff.diffusion;

import java.util.Arrays;

/**
 * A schedule that keeps only some times t_0 < t_1 < ... < t_{n-1} of a parent schedule, with
 * beta_i = 1 - abar_{t_i} / abar_{t_{i-1}} (abar_{t_{-1}} = 1), so that abar at index i is the parent's abar at
 * t_i (improved-diffusion's respace.py), and every derived quantity (posterior variance beta~_i, posterior mean
 * coefficients) is that of the respaced chain. {@link #modelTimestep(int)} returns the parent's timestep for t_i,
 * which is what the network was trained on.
 *
 * <p>The kept times are the parent's integer timesteps (the respacing rules of {@link TimestepSpacing}) or fractional
 * times in [0, T-1] (DPM-Solver's continuous-time grid), where abar is {@link NoiseSchedule#alphaBarAt} and the model
 * timestep {@link NoiseSchedule#modelTimestepAt}.
 *
 * <p>abar is the parent's, bit for bit (the product of the new (1 - beta_i) would lose up to about
 * 1e-16 / (abar_{t_i} / abar_{t_{i-1}}) relative accuracy where a step spans a large drop of abar).
 */
public final class RespacedSchedule extends NoiseSchedule {
    private final NoiseSchedule parent;
    private final double[] kept;

    /**
     * @param parent the schedule the network was trained on
     * @param kept   strictly increasing timesteps of {@code parent}, each in [0, T-1]
     */
    public RespacedSchedule(NoiseSchedule parent, int[] kept) {
        this(parent, Arrays.stream(kept).asDoubleStream().toArray());
    }

    /**
     * @param parent the schedule the network was trained on
     * @param times  strictly increasing (possibly fractional) times of {@code parent}, each in [0, T-1]
     */
    public RespacedSchedule(NoiseSchedule parent, double[] times) {
        this(parent, times, alphaBars(parent, checked(parent, times)));
    }

    private RespacedSchedule(NoiseSchedule parent, double[] times, double[] alphaBars) {
        super(betas(alphaBars), alphaBars);
        this.parent = parent;
        this.kept = times.clone();
    }

    /** The parent's times kept, in increasing order. */
    public double[] keptTimesteps() {
        return kept.clone();
    }

    public NoiseSchedule parent() {
        return parent;
    }

    /** The parent's model timestep for index i (composes when the parent is itself respaced). */
    @Override
    public double modelTimestep(int i) {
        return parent.modelTimestepAt(kept[i]);
    }

    /** The model timestep at a fractional index t: linear between the neighbouring indices' model timesteps. */
    @Override
    public double modelTimestepAt(double t) {
        int lo = checkedFloor(t);
        if (lo == t) return modelTimestep(lo);
        return (1 - (t - lo)) * modelTimestep(lo) + (t - lo) * modelTimestep(lo + 1);
    }

    private static double[] checked(NoiseSchedule parent, double[] times) {
        if (times.length == 0) throw new IllegalArgumentException("kept timesteps must not be empty");
        for (int i = 0; i < times.length; i++) {
            if (!(times[i] >= 0 && times[i] <= parent.timesteps() - 1) || (i > 0 && !(times[i] > times[i - 1]))) {
                throw new IllegalArgumentException("kept timesteps must be strictly increasing in [0, "
                        + (parent.timesteps() - 1) + "]: " + Arrays.toString(times));
            }
        }
        return times;
    }

    private static double[] alphaBars(NoiseSchedule parent, double[] times) {
        double[] ab = new double[times.length];
        for (int i = 0; i < times.length; i++) ab[i] = parent.alphaBarAt(times[i]);
        return ab;
    }

    private static double[] betas(double[] alphaBars) {
        double[] b = new double[alphaBars.length];
        double prev = 1.0;
        for (int i = 0; i < alphaBars.length; i++) {
            b[i] = 1.0 - alphaBars[i] / prev; // respace.py: beta_i = 1 - abar_{t_i} / abar_{t_{i-1}}
            prev = alphaBars[i];
        }
        return b;
    }
}
