package org.atdiff.jobs.robust;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.jobs.sample.CheckpointOnDataset.BatchStatistic;
import org.atdiff.jobs.sample.SamplingModel;
import org.atdiff.nn.UNet;
import org.atdiff.objective.PerturbedDenoisingError;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.stats.RunningMeans;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The eps-mse pass's sums: {@link PerturbedDenoisingError} of each batch once per timestep bin, the means of every
 * (bin, attack, radius) cell ({@link EpsMseSettings#cell}) merged over partitions. Image {@code id} in bin j draws t
 * (uniform in the bin), eps and the random direction from the stream (seed, id, j) only, so every model sees the same
 * draws and the result depends on neither partitions nor batches.
 */
record PerturbedErrorStatistics(EpsMseSettings settings) implements BatchStatistic<RunningMeans> {
    @Override
    public RunningMeans zero(SamplingModel model) {
        return new RunningMeans(settings.cells());
    }

    @Override
    public void add(RunningMeans sums, UNet unet, NoiseSchedule schedule, Tensor images, Tensor labels, long[] ids) {
        int[] edges = settings.timestepBins();
        for (int j = 0; j < settings.bins(); j++) {
            try (PointerScope scope = new PointerScope()) {
                RandomStream[] streams = new RandomStream[ids.length];
                int[] t = new int[ids.length];
                RandomStream root = new RandomStream(settings.evaluation().seed());
                for (int b = 0; b < ids.length; b++) {
                    streams[b] = root.derive(ids[b]).derive(j);
                    t[b] = edges[j] + streams[b].nextInt(edges[j + 1] - edges[j]);
                }
                double[][][] e = PerturbedDenoisingError.perSample(unet, schedule, images, labels, t,
                        new BatchNoise(streams), settings.attacks(), settings.radii());
                for (int a = 0; a < e.length; a++) {
                    for (int r = 0; r < e[a].length; r++) sums.add(settings.cell(j, a, r), e[a][r]);
                }
            }
        }
    }

    @Override
    public RunningMeans merge(RunningMeans a, RunningMeans b) {
        return a.merge(b);
    }
}
