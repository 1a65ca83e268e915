package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.train.Precision;

/**
 * {@code train}: training throughput of atdiff beside the PyTorch reference (alternating rounds), per preset and
 * precision, the bf16 loss curve against fp32, the free-AT overhead per optimizer update and the hybrid loss's
 * overhead over plain eps steps.
 */
final class TrainSection extends PresetSection {
    TrainSection() {
        super("train", "engine", "precision", "objective", "batch", "steps", "median_step_s", "images_per_s", "gflops",
                "of_fp32_peak", "of_bf16_peak", "atdiff_over_pytorch");
    }

    @Override
    void run(BenchContext c, BenchSettings s, BenchTable t, String preset, UNetConfig config) throws IOException {
        long flops = UNetFlops.trainingStep(config);
        t.note(String.format("%s: %,d parameters, %.3f GFLOP forward + backward per image (3 x %.3f forward)", preset,
                UNet.parameterCount(config), flops / 1e9, flops / 3e9));
        PythonReference py = c.python() != null && c.python().sameArchitecture(config, t) ? c.python() : null;
        Map<Precision, TrainingRun> plain = new LinkedHashMap<>();
        int perRound = (s.steps() + s.rounds() - 1) / s.rounds();
        for (Precision precision : s.precisions()) {
            TrainingRun java = new TrainingRun(config, "plain", precision, s.batchSize(), s.adversarial());
            List<Double> pySeconds = new ArrayList<>();
            for (int round = 0; round < s.rounds(); round++) {
                int steps = Math.min(perRound, s.steps() - round * perRound);
                if (steps <= 0) break;
                int warmup = round == 0 ? s.warmup() : 0;
                java.run(warmup, steps);
                if (py != null) {
                    try {
                        JsonNode a = py.request(PythonReference.command("train").put("preset", preset)
                                .put("size", s.imageSize()).put("batch", s.batchSize()).put("steps", steps)
                                .put("warmup", warmup).put("precision", precision.key()));
                        pySeconds.addAll(BenchContext.doubles(a.get("seconds")));
                    } catch (IOException e) {
                        t.note("PyTorch " + precision.key() + " skipped: " + e.getMessage());
                        pySeconds.clear();
                        break;
                    }
                }
            }
            System.err.printf("bench: train %s %s: atdiff %.3f s/step%s%n", preset, precision.key(),
                    Timings.median(java.seconds()), pySeconds.isEmpty() ? "" : String.format(", PyTorch %.3f s/step",
                            Timings.median(pySeconds)));
            plain.put(precision, java);
            double javaStep = Timings.median(java.seconds());
            if (precision == Precision.FP32) c.plainStepSeconds(preset, javaStep);
            Double pyStep = pySeconds.isEmpty() ? null : Timings.median(pySeconds);
            row(c, t, "atdiff", precision, "plain", java.seconds().size(), javaStep, flops, pyStep == null ? null : pyStep / javaStep);
            if (pyStep != null) row(c, t, "pytorch", precision, "plain", pySeconds.size(), pyStep, flops, null);
        }
        if (plain.containsKey(Precision.FP32) && plain.containsKey(Precision.BF16)) {
            double fp32 = Timings.median(plain.get(Precision.FP32).seconds());
            double bf16 = Timings.median(plain.get(Precision.BF16).seconds());
            t.note(String.format("bf16 / fp32 step throughput (atdiff): %.2fx", fp32 / bf16));
            t.note("loss per timed step, same weights and draws (fp32 | bf16): " + lossCurve(plain.get(Precision.FP32).losses(),
                    plain.get(Precision.BF16).losses()));
        }
        if (s.objectives().contains("at")) adversarialOverhead(c, t, config, flops, plain);
        if (s.objectives().contains("hybrid")) hybridOverhead(c, t, config, flops);
    }

    /** Free AT's K updates per minibatch against plain's one, per optimizer update. */
    private static void adversarialOverhead(BenchContext c, BenchTable t, UNetConfig config, long flops,
                                            Map<Precision, TrainingRun> plain) {
        BenchSettings s = c.settings();
        Precision precision = s.precisions().get(0);
        TrainingRun at = new TrainingRun(config, "at", precision, s.batchSize(), s.adversarial());
        at.run(s.warmup(), s.steps());
        double atStep = Timings.median(at.seconds());
        row(c, t, "atdiff", precision, "at (K=" + at.updatesPerStep() + ")", at.seconds().size(), atStep,
                flops * at.updatesPerStep(), null);
        TrainingRun base = plain.get(precision);
        if (base != null) {
            double perUpdate = atStep / at.updatesPerStep();
            t.note(String.format("AT overhead: %.3f s per optimizer update with at vs %.3f s with plain (%.2fx); "
                    + "%.3f s per minibatch step (%d updates)", perUpdate, Timings.median(base.seconds()),
                    perUpdate / Timings.median(base.seconds()), atStep, at.updatesPerStep()));
        }
    }

    /**
     * The hybrid loss (learned variances) against plain eps steps, alternated step by step so that a change of the
     * machine's load hits both alike; the overhead is the median of the paired ratios.
     */
    private static void hybridOverhead(BenchContext c, BenchTable t, UNetConfig config, long flops) {
        BenchSettings s = c.settings();
        Precision precision = s.precisions().get(0);
        TrainingRun hybrid = new TrainingRun(config, "hybrid", precision, s.batchSize(), s.adversarial());
        TrainingRun base = new TrainingRun(config, "plain", precision, s.batchSize(), s.adversarial());
        hybrid.run(s.warmup(), 0);
        base.run(s.warmup(), 0);
        List<Double> ratios = new ArrayList<>();
        for (int k = 0; k < s.steps(); k++) {
            hybrid.run(0, 1);
            base.run(0, 1);
            ratios.add(hybrid.seconds().get(k) / base.seconds().get(k));
        }
        double hybridStep = Timings.median(hybrid.seconds()), plainStep = Timings.median(base.seconds());
        row(c, t, "atdiff", precision, "hybrid (learn-sigma)", hybrid.seconds().size(), hybridStep, flops, null);
        t.note(String.format("hybrid loss overhead: %.3fx, the median over %d steps of a step with model.learn-sigma "
                + "and L_simple + lambda L_vlb over the next plain eps step (same batch, alternated step by step); "
                + "medians %.4f s and %.4f s", Timings.median(ratios), ratios.size(), hybridStep, plainStep));
    }

    private static void row(BenchContext c, BenchTable t, String engine, Precision p, String objective, int steps,
                            double step, long flopsPerImage, Double ratio) {
        int batch = c.settings().batchSize();
        double gflops = flopsPerImage * (double) batch / step / 1e9;
        t.add(engine, p.key(), objective, batch, steps, step, batch / step, gflops,
                BenchContext.fraction(gflops, c.peak("atdiff fp32")), BenchContext.fraction(gflops, c.peak("atdiff bf16")), ratio);
    }

    private static String lossCurve(List<Double> a, List<Double> b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            sb.append(String.format("%s%.4f|%.4f", i == 0 ? "" : ", ", a.get(i), b.get(i)));
        }
        return sb.toString();
    }
}
