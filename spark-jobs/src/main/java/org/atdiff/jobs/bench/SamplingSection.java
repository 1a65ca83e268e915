package org.atdiff.jobs.bench;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.sampling.Sampler;
import org.atdiff.sampling.Samplers;
import org.bytedeco.javacpp.PointerScope;

/** {@code sampling}: images/s and seconds per network evaluation of each sampler at each NFE. */
final class SamplingSection extends NamedSection {
    SamplingSection() {
        super("sampling", false);
    }

    @Override
    public void run(BenchContext c) {
        BenchSettings s = c.settings();
        BenchTable t = c.table("sampling", "sampler", "nfe", "batch", "seconds", "images_per_s", "seconds_per_nfe");
        UNet model = new UNet(UNetConfig.preset(s.samplePreset(), s.imageSize(), 3), 0);
        model.train(false);
        NoiseSchedule schedule = NoiseSchedule.named("linear", 1000);
        long[] shape = {3, s.imageSize(), s.imageSize()};
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            // warm-up; a step costs one network evaluation whatever the timesteps: trailing ones, eta 0
            Samplers.named("ddim", 0, TimestepSpacing.TRAILING).generate(model, schedule, 1, null,
                    BatchNoise.forSamples(0, 0, s.sampleBatch()), shape);
            for (String name : s.samplers()) {
                Sampler sampler = Samplers.named(name, 0, TimestepSpacing.TRAILING);
                for (int nfe : s.sampleNfe()) {
                    try (PointerScope run = new PointerScope()) {
                        long start = System.nanoTime();
                        sampler.generate(model, schedule, nfe, null, BatchNoise.forSamples(0, 0, s.sampleBatch()), shape);
                        double sec = (System.nanoTime() - start) * 1e-9;
                        t.add(name, nfe, s.sampleBatch(), sec, s.sampleBatch() / sec, sec / nfe);
                    }
                }
            }
        }
        t.note("model " + s.samplePreset() + " at " + s.imageSize() + "x" + s.imageSize() + ", fp32, one run each");
        t.print(System.out);
    }
}
