package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.engine.ConvolutionCheck;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.engine.EngineCheckException;
import org.atdiff.io.Npz;
import org.atdiff.io.NpyArray;
import org.atdiff.jobs.Atdiff;
import org.atdiff.jobs.CommandResult;
import org.atdiff.jobs.CommandSession;
import org.atdiff.jobs.EngineSetup;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.sampling.Sampler;
import org.atdiff.sampling.Samplers;
import org.atdiff.stats.FeatureMoments;
import org.atdiff.stats.FrechetDistance;
import org.atdiff.tensor.EngineThreads;
import org.atdiff.tensor.HostTensors;
import org.atdiff.train.Precision;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code atdiff bench}: measures what the project claims about speed and prints one table per section (also written
 * as {@code output.path}/bench.json). Sections ({@code bench.sections}): matrix-product peaks; training throughput of
 * atdiff beside the PyTorch reference, alternating, per preset and precision, with free-AT overhead and the bf16 loss
 * curve; Gloo all-reduce across processes; sampling throughput; FID statistics. Nothing here is asserted: the figures
 * are the result.
 */
public final class BenchCommand implements Atdiff.Command {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int MATMUL_SIZE = 2048;
    private static final int MATMUL_REPS = 10;

    private final List<BenchTable> tables = new ArrayList<>();
    private final Map<String, Double> peaks = new HashMap<>(); // "java fp32" -> GFLOP/s
    private final Map<String, Double> stepSeconds = new HashMap<>(); // preset -> median fp32 plain step (atdiff)
    private PythonReference python;

    @Override
    public String summary() {
        return "benchmark training, all-reduce, sampling and FID statistics; writes output.path/bench.json";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        BenchSettings s = BenchSettings.fromConfig(config);
        EngineThreads.use(s.threads());
        EngineSetup.configure(config, System.out);
        ObjectNode root = JSON.createObjectNode();
        root.put("started", Instant.now().toString());
        root.put("load_average_start", loadAverage());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("threads", torch.get_num_threads());
        root.put("java", System.getProperty("java.version"));
        root.set("settings", JSON.readTree(config.getConfig("bench").root().render(ConfigRenderOptions.concise())));
        System.out.printf("atdiff bench: %d threads, load average %s%n", torch.get_num_threads(), loadAverage());
        StringBuilder whyNot = new StringBuilder();
        if (s.runs("peak") || s.runs("engine") || s.runs("conv") || s.runs("phases") || s.runs("train") || s.runs("fid")) {
            python = PythonReference.start(s.python(), s.threads(), whyNot).orElse(null);
        }
        root.put("pytorch", python == null ? "skipped: " + whyNot : "torch " + python.hello().get("torch").asText()
                + ", " + python.hello().get("threads").asInt() + " threads");
        System.out.println("PyTorch reference: " + root.get("pytorch").asText());
        try {
            if (s.runs("peak")) peak();
            if (s.runs("engine")) for (String preset : s.presets()) engine(s, preset);
            if (s.runs("conv")) for (String preset : s.presets()) conv(s, preset);
            if (s.runs("phases")) for (String preset : s.presets()) phases(s, preset);
            if (s.runs("train")) for (String preset : s.presets()) train(s, preset);
            if (s.runs("allreduce")) allReduce(s);
            if (s.runs("sampling")) sampling(s);
            if (s.runs("fid")) fid(s);
        } finally {
            if (python != null) python.close();
        }
        root.set("engine", JSON.valueToTree(ConvolutionEngine.report().asMap()));
        root.put("load_average_end", loadAverage());
        root.put("finished", Instant.now().toString());
        ObjectNode sections = root.putObject("sections");
        for (BenchTable t : tables) sections.set(t.title(), t.toJson(JSON));
        byte[] bytes = JSON.writeValueAsBytes(root);
        new RunDirectory(s.output(), new Configuration()).writeAtomically("bench.json", out -> out.write(bytes));
        System.out.printf("%nload average at the end: %s%nwrote %s/bench.json%n", loadAverage(), s.output());
        return CommandResult.wrote("bench", List.of(new org.apache.hadoop.fs.Path(s.output(), "bench.json")));
    }

    private BenchTable table(String title, String... columns) {
        BenchTable t = new BenchTable(title, columns);
        tables.add(t);
        return t;
    }

    private void done(BenchTable t) {
        t.print(System.out);
    }

    // ---- peak -------------------------------------------------------------------------------------------------

    private void peak() throws IOException {
        BenchTable t = table("matmul peak", "engine", "dtype", "n", "median_s", "gflops");
        for (String dtype : List.of("fp32", "bf16")) {
            double sec = Timings.median(MatmulPeak.seconds(MATMUL_SIZE, dtype.equals("fp32") ? ScalarType.Float
                    : ScalarType.BFloat16, MATMUL_REPS));
            double g = MatmulPeak.gflops(MATMUL_SIZE, sec);
            peaks.put("atdiff " + dtype, g);
            t.add("atdiff (libtorch 2.10)", dtype, MATMUL_SIZE, sec, g);
            if (python != null) {
                JsonNode a = python.request(PythonReference.command("mm").put("n", MATMUL_SIZE).put("dtype", dtype)
                        .put("reps", MATMUL_REPS));
                double ps = Timings.median(doubles(a.get("seconds")));
                t.add("pytorch 1.13", dtype, MATMUL_SIZE, ps, MatmulPeak.gflops(MATMUL_SIZE, ps));
            }
        }
        done(t);
    }

    // ---- engine -----------------------------------------------------------------------------------------------

    /**
     * Per convolution path (forced): the self-check on the preset's shapes and plain training throughput at the bench
     * batch in each precision, beside the default path and PyTorch 1.13 (which has no paths: one figure each).
     */
    private void engine(BenchSettings s, String preset) throws IOException {
        UNetConfig config = UNetConfig.preset(preset, s.imageSize(), 3);
        BenchTable t = table("engine " + preset, "path", "check", "precision", "images_per_s", "of_default", "of_pytorch");
        String requested = ConvolutionEngine.report().requested();
        t.note(ConvolutionEngine.configure(ConvolutionEngine.AUTO).line() + " (auto chooses " + ConvolutionEngine.report()
                .path().configName() + "); plain training, batch " + s.batchSize() + ", median of " + s.steps() + " steps after "
                + s.warmup() + " warm-up; check = every convolution of the preset in that precision against float64");
        Map<Precision, Double> pytorch = new HashMap<>(), byDefault = new HashMap<>();
        if (python != null) {
            for (Precision p : s.precisions()) {
                JsonNode a = python.request(PythonReference.command("train").put("preset", preset).put("size", s.imageSize())
                        .put("batch", s.batchSize()).put("steps", s.steps()).put("warmup", s.warmup()).put("precision", p.key()));
                pytorch.put(p, s.batchSize() / Timings.median(doubles(a.get("seconds"))));
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
                    try {
                        ConvolutionEngine.configure(path.configName());
                        TrainingRun run = new TrainingRun(config, "plain", p, s.batchSize());
                        run.run(s.warmup(), s.steps());
                        double ips = s.batchSize() / Timings.median(run.seconds());
                        System.err.printf("bench: engine %s %s %s: %.2f images/s%n", preset, path.configName(), p.key(), ips);
                        if (path == ConvolutionPath.DEFAULT) byDefault.put(p, ips);
                        t.add(path.configName(), "ok " + ConvolutionCheck.format(p == Precision.BF16
                                ? ConvolutionEngine.report().worstBf16() : ConvolutionEngine.report().worstFloat32()),
                                p.key(), ips, fraction(ips, byDefault.get(p)), fraction(ips, pytorch.get(p)));
                    } catch (EngineCheckException e) {
                        t.add(path.configName(), "FAIL", p.key(), null, null, null);
                        t.note(path.configName() + " " + p.key() + ": " + e.getMessage());
                    }
                }
            }
            pytorch.forEach((p, ips) -> t.add("pytorch 1.13", "-", p.key(), ips, fraction(ips, byDefault.get(p)), 1.0));
        } finally {
            ConvolutionEngine.configure(requested);
        }
        done(t);
    }

    // ---- conv -------------------------------------------------------------------------------------------------

    private void conv(BenchSettings s, String preset) throws IOException {
        UNetConfig config = UNetConfig.preset(preset, s.imageSize(), 3);
        BenchTable t = table("conv " + preset, "shape", "engine", "variant", "median_s", "gflops", "of_fp32_peak");
        t.note("one 3x3 convolution forward + backward (input and weight gradients), fp32, batch " + s.batchSize()
                + ", median of " + s.steps() + " after one warm-up; NCHW = default layout, NHWC = channels-last; "
                + "no-onednn = the engine's convolution without oneDNN (mkldnn disabled)");
        for (ConvTiming.Shape shape : ConvTiming.shapes(config, s.batchSize())) {
            for (String variant : List.of("NCHW", "NHWC", "NCHW no-onednn")) {
                boolean channelsLast = variant.equals("NHWC"), oneDnn = !variant.endsWith("no-onednn");
                double sec = Timings.median(ConvTiming.seconds(shape, channelsLast, oneDnn, s.steps()));
                double g = shape.flops() / sec / 1e9;
                t.add(shape.toString(), "atdiff", variant, sec, g, fraction(g, peaks.get("atdiff fp32")));
                if (python != null) {
                    JsonNode a = python.request(PythonReference.command("conv").put("batch", shape.batch())
                            .put("cin", shape.in()).put("cout", shape.out()).put("size", shape.size())
                            .put("channels_last", channelsLast).put("mkldnn", oneDnn).put("reps", s.steps()));
                    double ps = Timings.median(doubles(a.get("seconds")));
                    double pg = shape.flops() / ps / 1e9;
                    t.add(shape.toString(), "pytorch", variant, ps, pg, fraction(pg, peaks.get("atdiff fp32")));
                }
            }
        }
        done(t);
    }

    // ---- phases -----------------------------------------------------------------------------------------------

    private void phases(BenchSettings s, String preset) throws IOException {
        UNetConfig config = UNetConfig.preset(preset, s.imageSize(), 3);
        BenchTable t = table("phases " + preset, "engine", "openblas_threads", "draw_s", "forward_s", "backward_s",
                "update_s", "step_s");
        t.note("a plain fp32 training step taken apart, batch " + s.batchSize() + ", median of " + s.steps() + " after "
                + s.warmup() + " warm-up: draw = t, eps and x_t; update = gradient flatten/scatter, clipping, AdamW, EMA, "
                + "zeroing; openblas_threads 1 = atdiff's setting (EngineThreads), " + s.threads() + " = OpenBLAS's "
                + "own pool beside libtorch's (the default before EngineThreads)");
        addPhases(t, "atdiff", "1", StepPhases.run(config, s.batchSize(), s.warmup(), s.steps()));
        addPhases(t, "atdiff", String.valueOf(s.threads()), EngineThreads.withBlasThreads(s.threads(),
                () -> StepPhases.run(config, s.batchSize(), s.warmup(), s.steps())));
        if (python != null) {
            JsonNode a = python.request(PythonReference.command("phases").put("preset", preset).put("size", s.imageSize())
                    .put("batch", s.batchSize()).put("steps", s.steps()).put("warmup", s.warmup()));
            List<StepPhases.Split> splits = new ArrayList<>();
            a.get("phases").forEach(p -> splits.add(new StepPhases.Split(p.get(0).asDouble(), p.get(1).asDouble(),
                    p.get(2).asDouble(), p.get(3).asDouble())));
            addPhases(t, "pytorch", "Debian's build", splits);
        }
        done(t);
    }

    private static void addPhases(BenchTable t, String engine, String blasThreads, List<StepPhases.Split> splits) {
        t.add(engine, blasThreads, Timings.median(splits.stream().map(StepPhases.Split::draw).toList()),
                Timings.median(splits.stream().map(StepPhases.Split::forward).toList()),
                Timings.median(splits.stream().map(StepPhases.Split::backward).toList()),
                Timings.median(splits.stream().map(StepPhases.Split::update).toList()),
                Timings.median(splits.stream().map(StepPhases.Split::total).toList()));
    }

    // ---- train ------------------------------------------------------------------------------------------------

    private void train(BenchSettings s, String preset) throws IOException {
        UNetConfig config = UNetConfig.preset(preset, s.imageSize(), 3);
        long flops = UNetFlops.trainingStep(config);
        long params = UNet.parameterCount(config);
        BenchTable t = table("train " + preset, "engine", "precision", "objective", "batch", "steps", "median_step_s",
                "images_per_s", "gflops", "of_fp32_peak", "of_bf16_peak", "atdiff_over_pytorch");
        t.note(String.format("%s: %,d parameters, %.3f GFLOP forward + backward per image (3 x %.3f forward)", preset,
                params, flops / 1e9, flops / 3e9));
        PythonReference py = python != null && sameArchitecture(config, t) ? python : null;
        Map<Precision, TrainingRun> plain = new LinkedHashMap<>();
        int perRound = (s.steps() + s.rounds() - 1) / s.rounds();
        for (Precision precision : s.precisions()) {
            TrainingRun java = new TrainingRun(config, "plain", precision, s.batchSize());
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
                        pySeconds.addAll(doubles(a.get("seconds")));
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
            if (precision == Precision.FP32) stepSeconds.put(preset, javaStep);
            Double pyStep = pySeconds.isEmpty() ? null : Timings.median(pySeconds);
            addTrainRow(t, "atdiff", precision, "plain", s.batchSize(), java.seconds().size(), javaStep, flops,
                    pyStep == null ? null : pyStep / javaStep);
            if (pyStep != null) addTrainRow(t, "pytorch", precision, "plain", s.batchSize(), pySeconds.size(), pyStep, flops, null);
        }
        if (plain.containsKey(Precision.FP32) && plain.containsKey(Precision.BF16)) {
            double fp32 = Timings.median(plain.get(Precision.FP32).seconds());
            double bf16 = Timings.median(plain.get(Precision.BF16).seconds());
            t.note(String.format("bf16 / fp32 step throughput (atdiff): %.2fx", fp32 / bf16));
            t.note("loss per timed step, same weights and draws (fp32 | bf16): " + lossCurve(plain.get(Precision.FP32).losses(),
                    plain.get(Precision.BF16).losses()));
        }
        if (s.objectives().contains("at")) {
            Precision precision = s.precisions().get(0);
            TrainingRun at = new TrainingRun(config, "at", precision, s.batchSize());
            at.run(s.warmup(), s.steps());
            double atStep = Timings.median(at.seconds());
            addTrainRow(t, "atdiff", precision, "at (K=" + at.updatesPerStep() + ")", s.batchSize(), at.seconds().size(),
                    atStep, flops * at.updatesPerStep(), null);
            TrainingRun base = plain.get(precision);
            if (base != null) {
                double perUpdate = atStep / at.updatesPerStep();
                t.note(String.format("AT overhead: %.3f s per optimizer update with at vs %.3f s with plain (%.2fx); "
                        + "%.3f s per minibatch step (%d updates)", perUpdate, Timings.median(base.seconds()),
                        perUpdate / Timings.median(base.seconds()), atStep, at.updatesPerStep()));
            }
        }
        if (s.objectives().contains("hybrid")) {
            Precision precision = s.precisions().get(0);
            TrainingRun hybrid = new TrainingRun(config, "hybrid", precision, s.batchSize());
            TrainingRun base = new TrainingRun(config, "plain", precision, s.batchSize());
            hybrid.run(s.warmup(), 0);
            base.run(s.warmup(), 0);
            // alternate step by step, so that a change of the machine's load hits both alike; the overhead is the
            // median of the paired ratios
            List<Double> ratios = new ArrayList<>();
            for (int k = 0; k < s.steps(); k++) {
                hybrid.run(0, 1);
                base.run(0, 1);
                ratios.add(hybrid.seconds().get(k) / base.seconds().get(k));
            }
            double hybridStep = Timings.median(hybrid.seconds()), plainStep = Timings.median(base.seconds());
            addTrainRow(t, "atdiff", precision, "hybrid (learn-sigma)", s.batchSize(), hybrid.seconds().size(),
                    hybridStep, flops, null);
            t.note(String.format("hybrid loss overhead: %.3fx, the median over %d steps of a step with model.learn-sigma "
                    + "and L_simple + lambda L_vlb over the next plain eps step (same batch, alternated step by step); "
                    + "medians %.4f s and %.4f s", Timings.median(ratios), ratios.size(), hybridStep, plainStep));
        }
        done(t);
    }

    private void addTrainRow(BenchTable t, String engine, Precision p, String objective, int batch, int steps, double step,
                             long flopsPerImage, Double ratio) {
        double gflops = flopsPerImage * (double) batch / step / 1e9;
        t.add(engine, p.key(), objective, batch, steps, step, batch / step, gflops, fraction(gflops, peaks.get("atdiff fp32")),
                fraction(gflops, peaks.get("atdiff bf16")), ratio);
    }

    private static Double fraction(double gflops, Double peak) {
        return peak == null ? null : gflops / peak;
    }

    private static String lossCurve(List<Double> a, List<Double> b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            sb.append(String.format("%s%.4f|%.4f", i == 0 ? "" : ", ", a.get(i), b.get(i)));
        }
        return sb.toString();
    }

    /**
     * Compares the reference's parameter names and shapes with atdiff's, then runs both forwards on the same
     * (perturbed) weights and inputs; a mismatch is noted and the PyTorch column is skipped for the preset.
     */
    private boolean sameArchitecture(UNetConfig config, BenchTable t) throws IOException {
        UNet model = new UNet(config, 7);
        LinkedHashMap<String, Tensor> state = model.stateDict();
        JsonNode d = python.request(PythonReference.command("describe").put("preset", config.preset())
                .put("size", config.imageSize()).put("channels", config.inChannels()));
        JsonNode shapes = d.get("shapes");
        List<String> problems = new ArrayList<>();
        for (Iterator<String> it = shapes.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!state.containsKey(name)) problems.add("PyTorch has " + name);
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            JsonNode shape = shapes.get(e.getKey());
            if (shape == null) problems.add("PyTorch lacks " + e.getKey());
            else if (!java.util.Arrays.equals(HostTensors.shape(e.getValue()), longs(shape))) problems.add("shape of " + e.getKey());
        }
        if (d.get("parameters").asLong() != model.parameterCount()) {
            problems.add("parameter count " + d.get("parameters").asLong() + " vs " + model.parameterCount());
        }
        if (!problems.isEmpty()) {
            t.note("PyTorch reference skipped, its U-Net differs: " + String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
            return false;
        }
        Path npz = Files.createTempFile("atdiff-bench-check", ".npz");
        try (PointerScope scope = new PointerScope()) {
            RandomStream rng = new RandomStream(11);
            Map<String, NpyArray> arrays = new LinkedHashMap<>();
            try (NoGradScope g = new NoGradScope()) {
                for (Map.Entry<String, Tensor> e : state.entrySet()) { // move zero-initialised layers off zero
                    e.getValue().add_(rng.normal(HostTensors.shape(e.getValue())).mul(new Scalar(0.02)));
                    arrays.put("w." + e.getKey(), NpyArray.float32(HostTensors.toFloats(e.getValue()), HostTensors.shape(e.getValue())));
                }
            }
            long s = config.imageSize();
            Tensor x = rng.normal(new long[] {2, config.inChannels(), s, s});
            Tensor tt = HostTensors.fromFloats(new float[] {17f, 802f}, 2);
            arrays.put("x", NpyArray.float32(HostTensors.toFloats(x), HostTensors.shape(x)));
            arrays.put("t", NpyArray.float32(new float[] {17f, 802f}, 2));
            Npz.write(npz, arrays);
            model.train(false);
            float[] ours;
            try (NoGradScope g = new NoGradScope()) {
                ours = HostTensors.toFloats(model.predictNoise(x, tt, null));
            }
            double[] theirs = doubles(python.request(PythonReference.command("check").put("preset", config.preset())
                    .put("size", config.imageSize()).put("channels", config.inChannels()).put("npz", npz.toString()))
                    .get("eps")).stream().mapToDouble(Double::doubleValue).toArray();
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < ours.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
                maxAbs = Math.max(maxAbs, Math.abs(theirs[i]));
            }
            t.note(String.format("PyTorch reference: same %d parameter names and shapes; forward on the same weights "
                    + "differs by at most %.2g (outputs up to %.2g)", state.size(), maxDiff, maxAbs));
            if (ours.length != theirs.length || maxDiff > 1e-3 * Math.max(1, maxAbs)) {
                t.note("PyTorch reference skipped: its forward does not match atdiff's");
                return false;
            }
            return true;
        } finally {
            Files.deleteIfExists(npz);
        }
    }

    // ---- all-reduce -------------------------------------------------------------------------------------------

    private void allReduce(BenchSettings s) throws IOException, InterruptedException {
        BenchTable t = table("allreduce", "workers", "floats", "median_s", "algbw_gb_per_s", "busbw_gb_per_s",
                "share_of_step");
        String preset = s.presets().get(0);
        long modelFloats = UNet.parameterCount(UNetConfig.preset(preset, s.imageSize(), 3)) + 1; // gradients + loss
        List<Long> sizes = new ArrayList<>(s.allReduceFloats());
        if (!sizes.contains(modelFloats)) sizes.add(modelFloats);
        for (int world : s.allReduceWorkers()) {
            Map<Long, double[]> r = AllReduceBench.run(world, sizes, s.allReduceReps());
            for (Map.Entry<Long, double[]> e : r.entrySet()) {
                double sec = Timings.median(e.getValue());
                double bytes = 4.0 * e.getKey();
                Double share = null;
                if (e.getKey() == modelFloats && stepSeconds.containsKey(preset)) {
                    share = sec / (sec + stepSeconds.get(preset));
                }
                // ring all-reduce moves 2 (n - 1) / n of the buffer through each link (NCCL's "bus bandwidth")
                t.add(world, e.getKey(), sec, bytes / sec / 1e9, bytes * 2 * (world - 1) / world / sec / 1e9, share);
            }
        }
        t.note(String.format("%,d floats = the %s model's gradients + loss; share = all-reduce / (all-reduce + fp32 step "
                + "of one worker at batch %d), one process per worker on loopback", modelFloats, preset, s.batchSize()));
        done(t);
    }

    // ---- sampling ---------------------------------------------------------------------------------------------

    private void sampling(BenchSettings s) {
        BenchTable t = table("sampling", "sampler", "nfe", "batch", "seconds", "images_per_s", "seconds_per_nfe");
        UNet model = new UNet(UNetConfig.preset(s.samplePreset(), s.imageSize(), 3), 0);
        model.train(false);
        NoiseSchedule schedule = NoiseSchedule.named("linear", 1000);
        long[] shape = {3, s.imageSize(), s.imageSize()};
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            // a step costs one network evaluation whatever the timesteps: trailing ones, eta 0
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
        done(t);
    }

    // ---- FID statistics ---------------------------------------------------------------------------------------

    private void fid(BenchSettings s) throws IOException {
        BenchTable t = table("fid statistics", "step", "engine", "seconds");
        int n = s.fidCount(), d = s.fidDimension(), chunk = 1000;
        FeatureMoments[] sets = {new FeatureMoments(d), new FeatureMoments(d)};
        double aggregate = 0;
        for (int k = 0; k < 2; k++) {
            RandomStream rng = new RandomStream(20 + k);
            for (int offset = 0; offset < n; offset += chunk) {
                try (PointerScope scope = new PointerScope()) {
                    int rows = Math.min(chunk, n - offset);
                    // feature-like data: correlated, offset, and the second set shifted and scaled
                    Tensor z = rng.normal(new long[] {rows, d});
                    Tensor f = z.add(z.roll(new long[] {1}, new long[] {1}).mul(new Scalar(0.5))).mul(new Scalar(1 + 0.1 * k))
                            .add(new Scalar(0.3 + 0.05 * k));
                    long start = System.nanoTime();
                    sets[k].add(f);
                    aggregate += (System.nanoTime() - start) * 1e-9;
                }
            }
        }
        t.add(String.format("FeatureMoments.add, 2 x %,d vectors of %d", n, d), "atdiff", aggregate);
        long start = System.nanoTime();
        double ours = FrechetDistance.between(sets[0], sets[1]);
        double distance = (System.nanoTime() - start) * 1e-9;
        t.add("FrechetDistance (eigh)", "atdiff", distance);
        if (python != null) {
            Path npz = Files.createTempFile("atdiff-bench-fid", ".npz");
            try {
                Map<String, NpyArray> arrays = new LinkedHashMap<>();
                arrays.put("mu1", NpyArray.float64(sets[0].mean(), d));
                arrays.put("sigma1", NpyArray.float64(sets[0].covariance(), d, d));
                arrays.put("mu2", NpyArray.float64(sets[1].mean(), d));
                arrays.put("sigma2", NpyArray.float64(sets[1].covariance(), d, d));
                Npz.write(npz, arrays);
                JsonNode a = python.request(PythonReference.command("sqrtm").put("npz", npz.toString()));
                t.add("scipy.linalg.sqrtm (pytorch-fid)", "scipy", a.get("seconds").asDouble());
                t.note(String.format("distance: atdiff %.6f, scipy %.6f", ours, a.get("fid").asDouble()));
            } finally {
                Files.deleteIfExists(npz);
            }
        } else {
            t.note(String.format("distance: atdiff %.6f (scipy not run)", ours));
        }
        done(t);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static List<Double> doubles(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asDouble()));
        return out;
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asLong();
        return out;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
