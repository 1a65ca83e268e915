package org.atdiff.jobs.sample;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.UNet;
import org.atdiff.optim.NoGradScope;
import org.atdiff.prep.Pixels;
import org.atdiff.prep.PreparedImage;
import org.atdiff.random.BatchNoise;
import org.atdiff.sampling.Sampler;
import org.atdiff.tensor.EngineThreads;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The executor side of {@code sample}: a partition of index ranges {first, count} becomes dataset rows. The task
 * builds the network once, then samples each range in batches; sample i draws all its noise from
 * {@code BatchNoise.forSamples(seed, i, ...)} and gets label {@code i mod classes} when class-conditional, so an
 * image depends on (seed, i) only, not on batches or partitions.
 */
final class SampleTask implements FlatMapFunction<Iterator<long[]>, PreparedImage> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<SamplingModel> model;
    private final SampleSet set;
    private final SampleSettings settings;

    SampleTask(Broadcast<SamplingModel> model, SampleSet set, SampleSettings settings) {
        this.model = model;
        this.set = set;
        this.settings = settings;
    }

    @Override
    public Iterator<PreparedImage> call(Iterator<long[]> ranges) {
        if (!ranges.hasNext()) return List.<PreparedImage>of().iterator();
        TaskContext task = TaskContext.get();
        int threads = EngineThreads.resolve(settings.threads(), task != null ? task.cpus() : 1);
        EngineThreads.use(threads);
        UNet unet = model.value().build();
        for (Tensor p : unet.parameters()) p.requires_grad_(false); // a gradient perturbation needs input gradients only
        NoiseSchedule schedule = model.value().spec().noiseSchedule();
        Denoiser denoiser = model.value().denoiser(unet, set, settings);
        Sampler sampler = model.value().sampler(set, settings);
        int classes = unet.config().numClasses();
        int c = unet.config().inChannels(), size = unet.config().imageSize();
        List<PreparedImage> rows = new ArrayList<>();
        try (NoGradScope g = new NoGradScope()) {
            while (ranges.hasNext()) {
                long[] range = ranges.next();
                for (long first = range[0]; first < range[0] + range[1]; first += settings.batchSize()) {
                    int n = (int) Math.min(settings.batchSize(), range[0] + range[1] - first);
                    try (PointerScope scope = new PointerScope()) {
                        long[] labels = new long[n];
                        for (int b = 0; b < n; b++) labels[b] = classes > 0 ? (first + b) % classes : -1;
                        Tensor x0 = sampler.generate(denoiser, schedule, set.nfe(),
                                classes > 0 ? HostTensors.fromLongs(labels, n) : null,
                                BatchNoise.forSamples(settings.seed(), first, n), c, size, size);
                        byte[] pixels = HostTensors.toPixels(x0);
                        int per = c * size * size;
                        for (int b = 0; b < n; b++) {
                            byte[] image = new byte[per];
                            System.arraycopy(pixels, b * per, image, 0, per);
                            rows.add(PreparedImage.inImageSet(first + b, (int) labels[b], new Pixels(c, size, size, image),
                                    set.source(first + b)));
                        }
                    }
                }
            }
        }
        return rows.iterator();
    }
}
