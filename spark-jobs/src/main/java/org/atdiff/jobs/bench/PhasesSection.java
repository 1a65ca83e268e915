package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.atdiff.nn.UNetConfig;
import org.atdiff.tensor.EngineThreads;

/** {@code phases}: a plain fp32 training step taken apart (draw, forward, backward, update), beside PyTorch's. */
final class PhasesSection extends PresetSection {
    PhasesSection() {
        super("phases", "engine", "openblas_threads", "draw_s", "forward_s", "backward_s", "update_s", "step_s");
    }

    @Override
    void run(BenchContext c, BenchSettings s, BenchTable t, String preset, UNetConfig config) throws Exception {
        t.note("a plain fp32 training step taken apart, batch " + s.batchSize() + ", median of " + s.steps() + " after "
                + s.warmup() + " warm-up: draw = t, eps and x_t; update = gradient flatten/scatter, clipping, AdamW, EMA, "
                + "zeroing; openblas_threads 1 = atdiff's setting (EngineThreads), " + s.threads() + " = OpenBLAS's "
                + "own pool beside libtorch's (the default before EngineThreads)");
        add(t, "atdiff", "1", StepPhases.run(config, s.batchSize(), s.warmup(), s.steps()));
        add(t, "atdiff", String.valueOf(s.threads()), EngineThreads.withBlasThreads(s.threads(),
                () -> StepPhases.run(config, s.batchSize(), s.warmup(), s.steps())));
        if (c.python() != null) {
            JsonNode a = c.python().request(PythonReference.command("phases").put("preset", preset)
                    .put("size", s.imageSize()).put("batch", s.batchSize()).put("steps", s.steps()).put("warmup", s.warmup()));
            List<StepPhases.Split> splits = new ArrayList<>();
            a.get("phases").forEach(p -> splits.add(new StepPhases.Split(p.get(0).asDouble(), p.get(1).asDouble(),
                    p.get(2).asDouble(), p.get(3).asDouble())));
            add(t, "pytorch", "Debian's build", splits);
        }
    }

    private static void add(BenchTable t, String engine, String blasThreads, List<StepPhases.Split> splits) {
        t.add(engine, blasThreads, Timings.median(splits.stream().map(StepPhases.Split::draw).toList()),
                Timings.median(splits.stream().map(StepPhases.Split::forward).toList()),
                Timings.median(splits.stream().map(StepPhases.Split::backward).toList()),
                Timings.median(splits.stream().map(StepPhases.Split::update).toList()),
                Timings.median(splits.stream().map(StepPhases.Split::total).toList()));
    }
}
