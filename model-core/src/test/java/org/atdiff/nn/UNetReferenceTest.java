package org.atdiff.nn;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.engine.ForcedPath;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The U-Net against openai/improved-diffusion's and openai/guided-diffusion's own UNetModel: this model's state dict
 * was loaded there with strict name and shape checking, and its output on the same inputs is stored in
 * {@code improved-diffusion-reference.txt} and {@code guided-diffusion-reference.txt}. Checks the architecture, the
 * attention head layout (heads-first and qkv-first), resblock resampling, the learned-variance output and the names.
 */
@ExtendWith(SingleThreadedTorch.class)
class UNetReferenceTest {

    /** On every convolution path (forced), so that each fallback reproduces the reference too. */
    @ParameterizedTest
    @EnumSource(ConvolutionPath.class)
    void matchesImprovedDiffusionUNetModel(ConvolutionPath path) throws IOException {
        try (ForcedPath forced = ForcedPath.use(path); PointerScope scope = new PointerScope()) {
            // attention at 8 and 4 on 16x16 (downsample rates 2 and 4), 64 channels there: 2 heads of 32
            UNetConfig cfg = new UNetConfig("ref", 3, 16, 32, new int[] {1, 2, 2}, 2, new int[] {8, 4}, 32, 0.0, 5);
            UNet model = new UNet(cfg, 3);
            TestWeights.perturb(model, 4, 0.05);
            Tensor x = new RandomStream(5).normal(3, 3, 16, 16);
            Tensor t = HostTensors.fromFloats(new float[] {0f, 17.25f, 999f}, 3);
            Tensor y = HostTensors.fromLongs(new long[] {4, 0, 2}, 3);
            assertMatches(HostTensors.toFloats(model.predictNoise(x, t, y)), "improved-diffusion-reference.txt");
        }
    }

    /**
     * guided-diffusion's layout as cifar10-adm uses it, scaled down: resblock up/down-sampling, qkv-first attention
     * with several heads (with one head both orders agree), scale-shift norm, learned sigma (2C outputs), labels.
     */
    @ParameterizedTest
    @EnumSource(ConvolutionPath.class)
    void matchesGuidedDiffusionUNetModel(ConvolutionPath path) throws IOException {
        try (ForcedPath forced = ForcedPath.use(path); PointerScope scope = new PointerScope()) {
            // attention at 8 and 4 on 16x16, 64 channels there: 4 heads of 16
            UNetConfig cfg = new UNetConfig("ref", 3, 16, 32, new int[] {1, 2, 2}, 2, new int[] {8, 4}, 16, 0.0, 5,
                    true, true, UNetConfig.AttentionOrder.QKV_FIRST);
            UNet model = new UNet(cfg, 3);
            TestWeights.perturb(model, 4, 0.05);
            Tensor x = new RandomStream(5).normal(3, 3, 16, 16);
            Tensor t = HostTensors.fromFloats(new float[] {0f, 17.25f, 999f}, 3);
            Tensor y = HostTensors.fromLongs(new long[] {4, 0, 2}, 3);
            DenoiserOutput out = model.predict(x, t, y);
            assertMatches(HostTensors.toFloats(torch.cat(new TensorVector(out.eps(), out.v()), 1)),
                    "guided-diffusion-reference.txt");
        }
    }

    private static void assertMatches(float[] out, String resource) throws IOException {
        double[] ref = reference(resource);
        assertEquals(ref.length, out.length);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < out.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(out[i] - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        assertTrue(maxRef > 0.5, "reference output is not trivial: " + maxRef);
        assertTrue(maxDiff < 2e-5, "max |ours - " + resource + "| = " + maxDiff);
    }

    private static double[] reference(String resource) throws IOException {
        List<Double> values = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                UNetReferenceTest.class.getResourceAsStream(resource), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.startsWith("#") && !line.isBlank()) values.add(Double.parseDouble(line));
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
