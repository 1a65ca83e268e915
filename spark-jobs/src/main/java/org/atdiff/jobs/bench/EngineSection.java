package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import org.atdiff.engine.ConvolutionCheck;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.engine.EngineCheckException;
import org.atdiff.nn.UNetConfig;
import org.atdiff.train.NonFiniteLossException;
import org.atdiff.train.Precision;

/**
 * {@code engine}: per convolution path (forced), the self-check on the preset's shapes and plain training throughput at
 * the bench batch in each precision, beside the default path and PyTorch 1.13 (which has no paths: one figure each).
 * A path the check refuses is timed unchecked, its results dropped, so that the cost of the correct path is a figure.
 */
final class EngineSection extends PresetSection {
    EngineSection() {
        super("engine", "path", "check", "precision", "images_per_s", "of_default", "of_pytorch");
    }

    @Override
    void run(BenchContext c, BenchSettings s, BenchTable t, String preset, UNetConfig config) throws Exception {
        String requested = ConvolutionEngine.report().requested();
        t.note(ConvolutionEngine.configure(ConvolutionEngine.AUTO).line() + " (auto chooses " + ConvolutionEngine.report()
                .path().configName() + "); plain training, batch " + s.batchSize() + ", median of " + s.steps() + " steps after "
                + s.warmup() + " warm-up; check = every convolution of the preset in that precision against float64");
        Map<Precision, Double> pytorch = new HashMap<>(), byDefault = new HashMap<>();
        if (c.python() != null) {
            for (Precision p : s.precisions()) {
                JsonNode a = c.python().request(PythonReference.command("train").put("preset", preset).put("size", s.imageSize())
                        .put("batch", s.batchSize()).put("steps", s.steps()).put("warmup", s.warmup()).put("precision", p.key()));
                pytorch.put(p, s.batchSize() / Timings.median(BenchContext.doubles(a.get("seconds"))));
            }
        }
        try {
            for (ConvolutionPath path : ConvolutionPath.values()) {
                String why = path.unavailableReason();
                if (why != null) {
                    t.note(path.configName() + " not measured: " + why);
                    continue;
                }
                for (Precision p : s.precisions()) {
                    if (path == ConvolutionPath.ONEDNN_AVX && p == Precision.BF16) {
                        t.add(path.configName(), "-", p.key(), null, null, null); // no bf16 instructions below AVX-512
                        continue;
                    }
                    String check;
                    Double ips;
                    try {
                        ConvolutionEngine.configure(path.configName());
                        ips = throughput(config, p, s);
                        System.err.printf("bench: engine %s %s %s: %.2f images/s%n", preset, path.configName(), p.key(), ips);
                        check = "ok " + ConvolutionCheck.format(p == Precision.BF16
                                ? ConvolutionEngine.report().worstBf16() : ConvolutionEngine.report().worstFloat32());
                    } catch (EngineCheckException e) {
                        t.note(path.configName() + " " + p.key() + ": " + e.getMessage());
                        ips = uncheckedThroughput(preset, path, config, p, s, t);
                        check = ips == null ? "FAIL" : "FAIL, timed unchecked";
                    }
                    if (path == ConvolutionPath.DEFAULT && ips != null) byDefault.put(p, ips);
                    t.add(path.configName(), check, p.key(), ips, BenchContext.fraction(ips, byDefault.get(p)),
                            BenchContext.fraction(ips, pytorch.get(p)));
                }
            }
            pytorch.forEach((p, ips) -> t.add("pytorch 1.13", "-", p.key(), ips, BenchContext.fraction(ips, byDefault.get(p)), 1.0));
        } finally {
            ConvolutionEngine.configure(requested);
        }
    }

    /**
     * The training throughput of a path the check refused, every convolution on it unchecked
     * ({@link ConvolutionEngine#runUnchecked}): what choosing a correct path costs against it. The steps' results are
     * dropped; null when a step's loss or gradient norm came out non-finite (the fault itself), which is noted.
     */
    private static Double uncheckedThroughput(String preset, ConvolutionPath path, UNetConfig config, Precision p,
                                              BenchSettings s, BenchTable t) {
        double[] ips = new double[1];
        try {
            ConvolutionEngine.runUnchecked(path, () -> ips[0] = throughput(config, p, s));
        } catch (NonFiniteLossException e) {
            t.note(path.configName() + " " + p.key() + " not timed: unchecked, " + e.getMessage());
            return null;
        }
        t.note(path.configName() + " " + p.key() + " timed unchecked: every convolution on it, the steps' results dropped");
        System.err.printf("bench: engine %s %s %s: %.2f images/s, unchecked (the check refused it)%n", preset, path.configName(),
                p.key(), ips[0]);
        return ips[0];
    }

    /** Images per second of plain training on {@code config} at the bench batch: the median of the timed steps. */
    private static double throughput(UNetConfig config, Precision p, BenchSettings s) {
        TrainingRun run = new TrainingRun(config, "plain", p, s.batchSize(), s.adversarial());
        run.run(s.warmup(), s.steps());
        return s.batchSize() / Timings.median(run.seconds());
    }
}
