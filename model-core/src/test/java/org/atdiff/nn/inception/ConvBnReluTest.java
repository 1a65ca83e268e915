package org.atdiff.nn.inception;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashMap;
import java.util.Map;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class ConvBnReluTest {
    private final RandomStream random = new RandomStream(11);

    /** A BasicConv2d state dict with random weights and BatchNorm statistics (variance in [0.5, 1.5]). */
    private Map<String, Tensor> basicConv(String name, long in, long out, long kh, long kw) {
        Map<String, Tensor> sd = new HashMap<>();
        sd.put(name + ".conv.weight", random.normal(out, in, kh, kw));
        sd.put(name + ".bn.weight", random.normal(out));
        sd.put(name + ".bn.bias", random.normal(out));
        sd.put(name + ".bn.running_mean", random.normal(out));
        sd.put(name + ".bn.running_var", torch.rand(out).add(new Scalar(0.5)));
        return sd;
    }

    /** relu((conv(x) - mean) / sqrt(var + 0.001) * gamma + beta), written out. */
    private static Tensor unfolded(Map<String, Tensor> sd, String name, Tensor x, long stride, long ph, long pw) {
        long out = sd.get(name + ".bn.weight").size(0);
        Tensor conv = torch.conv2d(x, sd.get(name + ".conv.weight"), new TensorOptional(),
                new long[] {stride, stride}, new long[] {ph, pw}, new long[] {1, 1}, 1);
        Tensor normalized = conv.sub(sd.get(name + ".bn.running_mean").view(1, out, 1, 1))
                .div(sd.get(name + ".bn.running_var").add(new Scalar(1e-3)).sqrt().view(1, out, 1, 1));
        return torch.relu(normalized.mul(sd.get(name + ".bn.weight").view(1, out, 1, 1))
                .add(sd.get(name + ".bn.bias").view(1, out, 1, 1)));
    }

    @Test
    void foldedBatchNormEqualsConvThenBatchNormThenRelu() {
        try (PointerScope scope = new PointerScope()) {
            Map<String, Tensor> sd = basicConv("c", 5, 7, 1, 3);
            ConvBnRelu unit = ConvBnRelu.load(new StateDictWeights(sd, "test"), "c", 5, 7, 1, 3, 2, 0, 1);
            Tensor x = random.normal(2, 5, 9, 8);
            Tensor y = unit.forward(x);
            assertArrayEquals(new long[] {2, 7, 5, 4}, HostTensors.shape(y)); // (9-1)/2+1, (8+2-3)/2+1
            float[] expected = HostTensors.toFloats(unfolded(sd, "c", x, 2, 0, 1));
            assertArrayEquals(expected, HostTensors.toFloats(y), 1e-5f);
            float max = 0;
            for (float v : expected) max = Math.max(max, v);
            assertTrue(max > 0.5f, "ReLU should not clip everything");
        }
    }

    @Test
    void stackedUnitsComputeTheirOutputsSideBySide() {
        try (PointerScope scope = new PointerScope()) {
            Map<String, Tensor> sd = new HashMap<>(basicConv("a", 6, 4, 1, 1));
            sd.putAll(basicConv("b", 6, 3, 1, 1));
            StateDictWeights w = new StateDictWeights(sd, "test");
            ConvBnRelu a = ConvBnRelu.load(w, "a", 6, 4, 1, 1, 1, 0, 0);
            ConvBnRelu b = ConvBnRelu.load(w, "b", 6, 3, 1, 1, 1, 0, 0);
            ConvBnRelu ab = ConvBnRelu.stack(a, b);
            Tensor x = random.normal(2, 6, 5, 5);
            Tensor both = ab.forward(x);
            assertEquals(7, ab.outChannels());
            assertArrayEquals(HostTensors.toFloats(a.forward(x)), HostTensors.toFloats(both.narrow(1, 0, 4)), 1e-6f);
            assertArrayEquals(HostTensors.toFloats(b.forward(x)), HostTensors.toFloats(both.narrow(1, 4, 3)), 1e-6f);
            ConvBnRelu c = ConvBnRelu.load(new StateDictWeights(basicConv("c", 6, 2, 3, 3), "test"),
                    "c", 6, 2, 3, 3, 1, 1, 1);
            assertThrows(IllegalArgumentException.class, () -> ConvBnRelu.stack(a, c));
        }
    }
}
