package org.atdiff.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;

/** {@code allreduce}: Gloo all-reduce across worker processes on loopback, and its share of a training step. */
final class AllReduceSection extends NamedSection {
    AllReduceSection() {
        super("allreduce", false);
    }

    @Override
    public void run(BenchContext c) throws Exception {
        BenchSettings s = c.settings();
        BenchTable t = c.table("allreduce", "workers", "floats", "median_s", "algbw_gb_per_s", "busbw_gb_per_s", "share_of_step");
        String preset = s.presets().get(0);
        long modelFloats = UNet.parameterCount(UNetConfig.preset(preset, s.imageSize(), 3)) + 1; // gradients + loss
        List<Long> sizes = new ArrayList<>(s.allReduceFloats());
        if (!sizes.contains(modelFloats)) sizes.add(modelFloats);
        Double step = c.plainStepSeconds(preset);
        for (int world : s.allReduceWorkers()) {
            Map<Long, double[]> r = AllReduceBench.run(world, sizes, s.allReduceReps());
            for (Map.Entry<Long, double[]> e : r.entrySet()) {
                double sec = Timings.median(e.getValue());
                double bytes = 4.0 * e.getKey();
                Double share = e.getKey() == modelFloats && step != null ? sec / (sec + step) : null;
                // ring all-reduce moves 2 (n - 1) / n of the buffer through each link (NCCL's "bus bandwidth")
                t.add(world, e.getKey(), sec, bytes / sec / 1e9, bytes * 2 * (world - 1) / world / sec / 1e9, share);
            }
        }
        t.note(String.format("%,d floats = the %s model's gradients + loss; share = all-reduce / (all-reduce + fp32 step "
                + "of one worker at batch %d), one process per worker on loopback", modelFloats, preset, s.batchSize()));
        t.print(System.out);
    }
}
