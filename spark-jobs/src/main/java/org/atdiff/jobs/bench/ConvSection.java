package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.atdiff.nn.UNetConfig;

/** {@code conv}: each of the presets' 3x3 convolutions, forward + backward in fp32, per memory layout and engine. */
final class ConvSection extends PresetSection {
    ConvSection() {
        super("conv", "shape", "engine", "variant", "median_s", "gflops", "of_fp32_peak");
    }

    @Override
    void run(BenchContext c, BenchSettings s, BenchTable t, String preset, UNetConfig config) throws Exception {
        t.note("one 3x3 convolution forward + backward (input and weight gradients), fp32, batch " + s.batchSize()
                + ", median of " + s.steps() + " after one warm-up; NCHW = default layout, NHWC = channels-last; "
                + "no-onednn = ATen's own kernel, the engine's no-onednn path (PyTorch's: mkldnn disabled)");
        Double peak = c.peak("atdiff fp32");
        for (ConvTiming.Shape shape : ConvTiming.shapes(config, s.batchSize())) {
            for (String variant : List.of("NCHW", "NHWC", "NCHW no-onednn")) {
                boolean channelsLast = variant.equals("NHWC"), oneDnn = !variant.endsWith("no-onednn");
                double sec = Timings.median(ConvTiming.seconds(shape, channelsLast, oneDnn, s.steps()));
                double g = shape.flops() / sec / 1e9;
                t.add(shape.toString(), "atdiff", variant, sec, g, BenchContext.fraction(g, peak));
                if (c.python() != null) {
                    JsonNode a = c.python().request(PythonReference.command("conv").put("batch", shape.batch())
                            .put("cin", shape.in()).put("cout", shape.out()).put("size", shape.size())
                            .put("channels_last", channelsLast).put("mkldnn", oneDnn).put("reps", s.steps()));
                    double ps = Timings.median(BenchContext.doubles(a.get("seconds")));
                    double pg = shape.flops() / ps / 1e9;
                    t.add(shape.toString(), "pytorch", variant, ps, pg, BenchContext.fraction(pg, peak));
                }
            }
        }
    }
}
