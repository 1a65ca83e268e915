package org.atdiff.jobs;

import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.atdiff.engine.ConvolutionCheck;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.engine.ConvolutionShape;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.EngineSetup;
import org.atdiff.jobs.command.ModelSettings;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.nn.FeatureClassifier;
import org.atdiff.nn.FidInceptionV3;
import org.atdiff.nn.UNet;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.AutocastScope;
import org.atdiff.tensor.EngineThreads;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code atdiff check-engine}: the engine self-check for the configured models, on this machine, without Spark. Runs
 * the U-Net ({@code model.*} at {@code image.size} x {@code image.channels}; forward and backward, and under bf16
 * autocast where {@code train.precision} or {@code sample.precision} is bf16) and the feature network
 * {@code fid.features} names, so that every convolution shape they use is checked on the path
 * {@code engine.conv-path} selects; then prints the engine line and a table of each convolution's error on every path
 * this process can run, as that path would run it. Exits 0 when a correct path exists (the engine line names it),
 * non-zero otherwise.
 */
public final class CheckEngineJob implements Command {
    @Override
    public String summary() {
        return "check libtorch's convolutions for the configured model on this CPU on every path (engine.conv-path)";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) {
        EngineThreads.use(EngineThreads.resolve(config.getInt("engine.threads"), Runtime.getRuntime().availableProcessors()));
        EngineSetup.configure(config, System.out);
        boolean bf16 = config.getString("train.precision").equals("bf16") || config.getString("sample.precision").equals("bf16");
        List<ConvolutionShape> shapes = ConvolutionEngine.shapesOf(() -> traceModels(config, bf16));
        System.out.println(ConvolutionEngine.report().line());
        printTable(config, bf16, shapes);
        return CommandResult.wrote("check-engine", List.of());
    }

    /** Runs the configured U-Net and feature network once, so that their convolutions are checked. */
    private static void traceModels(Config config, boolean bf16) {
        try (PointerScope scope = new PointerScope()) {
            int size = config.getInt("image.size"), channels = config.getInt("image.channels");
            UNet unet = new UNet(ModelSettings.fromConfig(config, size, channels, ModelSettings.CLASSES_UNKNOWN).unet(), 0);
            trace(x -> unet.predictNoise(x, torch.full(new long[] {x.size(0)}, new Scalar(500.0),
                    new TensorOptions(ScalarType.Float)), null), channels, size, true, bf16);
            switch (config.getString("fid.features")) {
                case "classifier" -> {
                    FeatureClassifier c = new FeatureClassifier(channels, size, 10, config.getInt("fid.classifier-width"), 0);
                    trace(c::logits, channels, size, true, false);
                }
                case "inception" -> trace(randomInception()::features, channels, size, false, false);
                default -> throw new IllegalArgumentException("fid.features must be inception or classifier");
            }
        }
    }

    private interface Network {
        Tensor apply(Tensor x);
    }

    /** One forward (and backward) at batch 2, in fp32 and, with {@code bf16}, under bf16 autocast. */
    private static void trace(Network net, int channels, int size, boolean backward, boolean bf16) {
        for (boolean autocast : bf16 ? new boolean[] {false, true} : new boolean[] {false}) {
            try (PointerScope scope = new PointerScope(); AutocastScope cast = autocast ? AutocastScope.on(ScalarType.BFloat16) : null) {
                Tensor x = torch.tanh(new RandomStream(1).normal(2, channels, size, size)).requires_grad_(backward);
                Tensor y = net.apply(x);
                if (backward) y.to(ScalarType.Float).sum().backward();
            }
        }
    }

    /** pytorch-fid's architecture with random weights: the shapes are what matter here. */
    private static FidInceptionV3 randomInception() {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        RandomStream r = new RandomStream(2);
        FidInceptionV3.stateDictShapes().forEach((name, shape) -> weights.put(name, name.endsWith("running_var")
                ? torch.ones(shape, new TensorOptions(ScalarType.Float))
                : r.normal(shape).mul(new Scalar(0.05))));
        return FidInceptionV3.fromStateDict(weights, "random weights");
    }

    /**
     * One row per convolution of the configured models, one column per path: its check on that path, with the input
     * in the memory format that path hands it on (each path's column comes from a trace of the models computed on that
     * path, the chosen path's from the checked run itself; {@code *} marks a channels-last input). "-" for a path
     * this process cannot run, or a convolution that path does not compute.
     */
    private static void printTable(Config config, boolean bf16, List<ConvolutionShape> chosen) {
        ConvolutionPath active = ConvolutionEngine.report().path();
        Map<ConvolutionPath, Map<ConvolutionShape, ConvolutionCheck.Result>> byPath = new LinkedHashMap<>();
        Set<ConvolutionShape> rows = new LinkedHashSet<>();
        for (ConvolutionShape s : chosen) rows.add(s.withChannelsLast(false));
        for (ConvolutionPath p : ConvolutionPath.values()) {
            if (p.unavailableReason() != null) continue;
            List<ConvolutionShape> traced = p == active ? chosen : ConvolutionEngine.runUnchecked(p, () -> traceModels(config, bf16));
            Map<ConvolutionShape, ConvolutionCheck.Result> cells = new LinkedHashMap<>();
            for (ConvolutionCheck.Result r : ConvolutionEngine.checkOn(p, traced)) {
                ConvolutionShape row = r.shape().withChannelsLast(false);
                rows.add(row);
                cells.merge(row, r, (a, b) -> a.passed() && (!b.passed() || b.worst() > a.worst()) ? b : a);
            }
            byPath.put(p, cells);
        }
        String title = "convolution of the configured models", label = "%-" + Math.max(title.length(),
                rows.stream().mapToInt(r -> r.toString().length()).max().orElse(0)) + "s";
        StringBuilder head = new StringBuilder(String.format(label, title));
        for (ConvolutionPath p : ConvolutionPath.values()) head.append(String.format(" %16s", p.configName()));
        System.out.println(head);
        for (ConvolutionShape row : rows) {
            StringBuilder line = new StringBuilder(String.format(label, row));
            for (ConvolutionPath p : ConvolutionPath.values()) {
                ConvolutionCheck.Result r = byPath.getOrDefault(p, Map.of()).get(row);
                line.append(String.format(" %16s", r == null ? "-" : cell(r)));
            }
            System.out.println(line);
        }
        System.out.println("* input channels-last on that path; " + active.configName() + " is the path in use");
        for (ConvolutionPath p : ConvolutionPath.values()) {
            String why = p.unavailableReason();
            if (why != null) System.out.println(p.configName() + ": not run in this process (" + why + ")");
        }
    }

    private static String cell(ConvolutionCheck.Result r) {
        return (r.passed() ? "ok " : "FAIL ") + ConvolutionCheck.format(r.worst()) + (r.shape().channelsLast() ? "*" : "");
    }

    @Override
    public void readSettings(SettingsReader r) {
        r.integer("engine.threads");
        r.string("engine.conv-path");
        r.named("train.precision", org.atdiff.train.Precision::named);
        r.named("sample.precision", org.atdiff.train.Precision::named);
        ModelSettings.read(r, r.integer("image.size"), r.integer("image.channels"), ModelSettings.CLASSES_UNKNOWN);
        r.string("fid.features");
        r.integer("fid.classifier-width");
    }
}
