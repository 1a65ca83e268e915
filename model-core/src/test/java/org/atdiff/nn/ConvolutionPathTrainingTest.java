package org.atdiff.nn;

import org.atdiff.tensor.AutocastScope;
import org.atdiff.train.ReferenceSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.SingleThreadedTorch;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.engine.ForcedPath;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.ColouredSquares;
import org.atdiff.objective.TimestepSampler;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.train.GradientSync;
import org.atdiff.train.Minibatch;
import org.atdiff.train.StepMetrics;
import org.atdiff.train.TrainingLoop;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every convolution path, forced, on the tiny U-Net: its output, parameter gradients and input gradient (AT's
 * gradient, which goes through the first convolution's backward-data) against the same network in float64, with one
 * input channel (the shape channels-last routes through im2col) and with three; and a few plain and free-AT training
 * steps. On a CPU where the default is correct this runs every fallback, so the fallbacks stay correct where they
 * are needed.
 */
@ExtendWith(SingleThreadedTorch.class)
class ConvolutionPathTrainingTest {
    /** Errors relative to the largest entry of the tensor set; float32 through the whole network reaches about 1e-6. */
    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @EnumSource(ConvolutionPath.class)
    void outputAndGradientsMatchFloat64(ConvolutionPath path) {
        try (ForcedPath forced = ForcedPath.use(path)) {
            for (int channels : new int[] {1, 3}) {
                try (PointerScope scope = new PointerScope()) {
                    UNet model = new UNet(UNetConfig.preset("tiny", 16, channels), 3);
                    TestWeights.perturb(model, 4, 0.05); // a non-zero output convolution, so every gradient is non-zero
                    UNet exact = model.toDouble();
                    Tensor x = new RandomStream(5).normal(4, channels, 16, 16);
                    Tensor t = HostTensors.fromFloats(new float[] {0f, 10f, 500f, 999f}, 4);
                    Pass single = pass(model, x, t);
                    Pass dbl = pass(exact, x.to(ScalarType.Double), t.to(ScalarType.Double));
                    String where = path.configName() + ", " + channels + " channel(s)";
                    assertClose(dbl.output, single.output, where + ": output");
                    assertClose(dbl.inputGradient, single.inputGradient, where + ": input gradient");
                    assertClose(dbl.parameterGradients, single.parameterGradients, where + ": parameter gradients");
                }
            }
            assertEquals(path, ConvolutionEngine.report().path(), "the forced path ran");
        }
    }

    /**
     * bf16 autocast, natively and with the convolutions in float32 (the fallback when native bf16 fails the check):
     * both near the float64 network at bf16's precision (measured: 0.012 and 0.013 of the largest output; the bf16
     * matrix products and activations dominate either way).
     */
    @ParameterizedTest
    @EnumSource(ConvolutionPath.class)
    void bf16AutocastNativeAndWithFloat32ConvolutionsMatchFloat64(ConvolutionPath path) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(path != ConvolutionPath.ONEDNN_AVX, "no bf16 below AVX-512");
        try (ForcedPath forced = ForcedPath.use(path); PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 16, 3), 3);
            TestWeights.perturb(model, 4, 0.05);
            UNet exact = model.toDouble();
            Tensor x = new RandomStream(5).normal(4, 3, 16, 16);
            Tensor t = HostTensors.fromFloats(new float[] {0f, 10f, 500f, 999f}, 4);
            Pass dbl = pass(exact, x.to(ScalarType.Double), t.to(ScalarType.Double));
            try (AutocastScope cast = AutocastScope.on(ScalarType.BFloat16)) {
                Pass bf16 = pass(model, x, t);
                double nativeError = error(dbl.output, bf16.output);
                assertTrue(nativeError <= 0.05, path.configName() + " native bf16 output error " + nativeError);
            }
            for (Tensor p : model.parameters()) if (p.grad().defined()) p.grad().zero_();
            try (AutoCloseable fp32 = ForcedPath.bf16InFloat32(); AutocastScope cast = AutocastScope.on(ScalarType.BFloat16)) {
                Pass mixed = pass(model, x, t);
                double e = error(dbl.output, mixed.output);
                assertTrue(e <= 0.02, path.configName() + " bf16 with float32 convolutions: output error " + e);
                double g = error(dbl.parameterGradients, mixed.parameterGradients);
                assertTrue(g <= 0.05, path.configName() + " bf16 with float32 convolutions: gradient error " + g);
                assertTrue(ConvolutionEngine.report().bf16InFloat32());
            }
        }
    }

    private static double error(double[] expected, double[] actual) {
        double scale = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        return Double.isNaN(diff) ? Double.NaN : diff / scale;
    }

    @ParameterizedTest
    @EnumSource(ConvolutionPath.class)
    void plainAndFreeAdversarialTrainingTakeTheSameStepsOnEveryPath(ConvolutionPath path) {
        float[] reference = train(null);
        try (ForcedPath forced = ForcedPath.use(path)) {
            float[] weights = train(path);
            // Adam's first updates are about lr sign(g): a gradient that is zero in exact arithmetic moves its weight by
            // +-lr on float32 noise on any path, so compare the l2 norm of the difference with that of the change.
            double diff = 0, change = 0;
            float[] start = initial();
            for (int i = 0; i < weights.length; i++) {
                diff += Math.pow(weights[i] - reference[i], 2);
                change += Math.pow(reference[i] - start[i], 2);
            }
            diff = Math.sqrt(diff);
            change = Math.sqrt(change);
            assertTrue(change > 1e-2, "training moved the weights: " + change);
            assertTrue(diff <= 0.02 * change, // measured: 0.002 on channels-last and no-onednn against default
                    path.configName() + ": weights differ by " + diff + " after a change of " + change);
        }
    }

    /** 2 plain and 2 free-AT minibatches (6 updates) of the tiny U-Net on one-channel images; the final weights. */
    private static float[] train(ConvolutionPath path) {
        try (PointerScope scope = new PointerScope()) {
            UNet model = tiny();
            RandomStream data = new RandomStream(3);
            float[] out = null;
            for (String objective : new String[] {"plain", "at"}) {
                TrainingLoop loop = new TrainingLoop(model, NoiseSchedule.named("linear", 1000),
                        TrainingObjective.named(objective, 0.1, ReferenceSettings.AT,
                                TimestepSampler.UNIFORM), new AdamW(model.parameters(), 0.0),
                        new LearningRateSchedule(1e-3, 0), new GradientClipping(0), new ExponentialMovingAverage(model, 0.9),
                        () -> new Minibatch(grayscale(ColouredSquares.batch(data, 8, 16)), null), new RandomStream(5),
                        GradientSync.LOCAL);
                for (int s = 0; s < 2; s++) {
                    StepMetrics m = loop.runStep();
                    assertTrue(Double.isFinite(m.loss()) && Double.isFinite(m.gradNorm()), objective + " step " + s + ": " + m);
                }
            }
            return HostTensors.toFloats(flat(model.parameters()));
        }
    }

    private static Tensor grayscale(Tensor rgb) {
        return rgb.mean(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
    }

    private static UNet tiny() {
        UNet model = new UNet(UNetConfig.preset("tiny", 16, 1), 11);
        TestWeights.perturb(model, 12, 0.05);
        return model;
    }

    private static float[] initial() {
        try (PointerScope scope = new PointerScope()) {
            return HostTensors.toFloats(flat(tiny().parameters()));
        }
    }

    private record Pass(double[] output, double[] inputGradient, double[] parameterGradients) {}

    private static Pass pass(UNet model, Tensor x0, Tensor t) {
        Tensor x = x0.detach().clone().requires_grad_(true);
        Tensor eps = model.predictNoise(x, t, null);
        Tensor upstream = new RandomStream(9).normal(HostTensors.shape(eps)).to(eps.scalar_type());
        eps.mul(upstream).sum().backward();
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : model.parameters()) grads.add(p.grad());
        return new Pass(HostTensors.toDoubles(eps), HostTensors.toDoubles(x.grad()), HostTensors.toDoubles(flat(grads)));
    }

    private static Tensor flat(List<Tensor> tensors) {
        org.bytedeco.pytorch.TensorVector parts = new org.bytedeco.pytorch.TensorVector();
        for (Tensor p : tensors) parts.push_back(p.detach().reshape(-1).to(ScalarType.Double));
        return org.bytedeco.pytorch.global.torch.cat(parts, 0);
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            double d = Math.abs(expected[i] - actual[i]);
            diff = Double.isNaN(d) || Double.isNaN(diff) ? Double.NaN : Math.max(diff, d);
        }
        assertTrue(scale > 1e-3, what + " is not trivial: " + scale);
        assertTrue(diff <= TOLERANCE * scale, what + ": max error " + diff + " against max " + scale);
    }
}
