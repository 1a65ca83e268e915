package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;

/** A sampler that visits the nfe timesteps a {@link TimestepSpacing} keeps of the schedule (DDPM, DDIM), clipping x0. */
public abstract class RespacedSampler extends ReverseProcessSampler {
    private final TimestepSpacing spacing;

    RespacedSampler(TimestepSpacing spacing, StatePerturbation perturbation) {
        super(true, perturbation);
        this.spacing = spacing;
    }

    public TimestepSpacing spacing() {
        return spacing;
    }

    @Override
    public SamplingPath path(NoiseSchedule schedule, int nfe) {
        return new SamplingPath(spacing.respace(schedule, nfe), 0);
    }
}
