package org.atdiff.jobs.nll;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.VariationalBound;
import org.atdiff.jobs.sample.CheckpointOnDataset.BatchStatistic;
import org.atdiff.jobs.sample.SamplingModel;
import org.atdiff.nn.UNet;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.stats.VariationalBoundSums;
import org.bytedeco.pytorch.Tensor;

/**
 * The nll pass's sums: the full variational bound of each batch ({@link VariationalBound}), merged over partitions.
 * Image {@code id} draws its noise from (seed, id) only, so the result does not depend on partitions or batches.
 */
record BoundStatistics(long seed) implements BatchStatistic<VariationalBoundSums> {
    @Override
    public VariationalBoundSums zero(SamplingModel model) {
        return new VariationalBoundSums(model.spec().timesteps());
    }

    @Override
    public void add(VariationalBoundSums sums, UNet unet, NoiseSchedule schedule, Tensor images, Tensor labels, long[] ids) {
        try (NoGradScope g = new NoGradScope()) {
            sums.add(VariationalBound.evaluate(unet, schedule, images, labels, BatchNoise.forSamples(seed, ids)));
        }
    }

    @Override
    public VariationalBoundSums merge(VariationalBoundSums a, VariationalBoundSums b) {
        return a.merge(b);
    }
}
