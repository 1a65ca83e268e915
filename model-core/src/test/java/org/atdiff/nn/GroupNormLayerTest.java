package org.atdiff.nn;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.SingleThreadedTorch;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.AutocastScope;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * GroupNormLayer on channels-last maps (its own reductions) against libtorch's group_norm on the same numbers in
 * NCHW: values, the gradients of the input, weight and bias, the memory format and the dtype under bf16 autocast.
 */
@ExtendWith(SingleThreadedTorch.class)
class GroupNormLayerTest {

    /** The layer's weight and bias set to random values, so that the affine map's gradients are not trivial. */
    private static GroupNormLayer layer(ParameterStore store, int channels, long seed) {
        GroupNormLayer norm = new GroupNormLayer(store, "norm", channels);
        RandomStream rng = new RandomStream(seed);
        try (var noGrad = new org.bytedeco.pytorch.NoGradGuard()) {
            store.parameters().get("norm.weight").copy_(rng.normal(new long[] {channels}).mul(new Scalar(0.5)).add(new Scalar(1)));
            store.parameters().get("norm.bias").copy_(rng.normal(new long[] {channels}));
        }
        return norm;
    }

    private static double maxDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item_double();
    }

    private static void matchesNchw(ScalarType dtype, int channels, long size, double tolerance) {
        try (PointerScope scope = new PointerScope()) {
            ParameterStore store = new ParameterStore(new RandomStream(1), dtype);
            GroupNormLayer norm = layer(store, channels, 2);
            RandomStream rng = new RandomStream(3);
            // a mean far from zero: the one-pass variance E[x^2] - E[x]^2 must still hold
            Tensor base = rng.normal(new long[] {3, channels, size, size}).mul(new Scalar(2)).add(new Scalar(5)).to(dtype);
            Tensor upstream = rng.normal(new long[] {3, channels, size, size}).to(dtype);
            Tensor w = store.parameters().get("norm.weight"), b = store.parameters().get("norm.bias");

            Tensor x = base.clone().requires_grad_(true);
            Tensor expected = torch.group_norm(x, UNetConfig.groups(channels), new TensorOptional(w), new TensorOptional(b), 1e-5, false);
            expected.mul(upstream).sum().backward();
            Tensor dx = x.grad().clone(), dw = w.grad().clone(), db = b.grad().clone();
            w.grad().zero_();
            b.grad().zero_();

            Tensor xl = base.contiguous(torch.MemoryFormat.ChannelsLast).requires_grad_(true);
            Tensor got = norm.forward(xl);
            assertTrue(got.is_contiguous(torch.MemoryFormat.ChannelsLast), "a channels-last input gives a channels-last output");
            assertEquals(dtype, got.scalar_type().intern());
            got.mul(upstream.contiguous(torch.MemoryFormat.ChannelsLast)).sum().backward();
            String at = dtype + " C=" + channels + " " + size + "x" + size;
            assertTrue(maxDiff(got, expected) < tolerance, at + " output differs by " + maxDiff(got, expected));
            assertTrue(maxDiff(xl.grad(), dx) < tolerance, at + " input gradient differs by " + maxDiff(xl.grad(), dx));
            assertTrue(maxDiff(w.grad(), dw) < tolerance * 100, at + " weight gradient differs by " + maxDiff(w.grad(), dw));
            assertTrue(maxDiff(b.grad(), db) < tolerance * 100, at + " bias gradient differs by " + maxDiff(b.grad(), db));
        }
    }

    @Test
    void channelsLastMatchesLibtorchGroupNormInFloat64() {
        matchesNchw(ScalarType.Double, 64, 8, 1e-12);
        matchesNchw(ScalarType.Double, 3, 5, 1e-12); // three groups of one channel, an odd size
    }

    @Test
    void channelsLastMatchesLibtorchGroupNormInFloat32() {
        matchesNchw(ScalarType.Float, 64, 8, 2e-5);
        matchesNchw(ScalarType.Float, 96, 16, 2e-5); // three channels per group
    }

    /** A group whose mean is 1000 standard deviations from zero: float32 still within 1e-3 of float64 (two passes). */
    @Test
    void aLargeOffsetKeepsFloat32Precision() {
        try (PointerScope scope = new PointerScope()) {
            GroupNormLayer norm = new GroupNormLayer(new ParameterStore(new RandomStream(1), ScalarType.Float), "norm", 64);
            Tensor x64 = new RandomStream(6).normal(new long[] {4, 64, 16, 16}).to(ScalarType.Double).add(new Scalar(1000));
            Tensor exact = torch.group_norm(x64, 32, new TensorOptional(), new TensorOptional(), 1e-5, false);
            Tensor got = norm.forward(x64.to(ScalarType.Float).contiguous(torch.MemoryFormat.ChannelsLast));
            double err = maxDiff(got.to(ScalarType.Double), exact);
            assertTrue(err < 1e-3, "float32 error against float64 at mean 1000, std 1: " + err); // one-pass: 0.71
        }
    }

    @Test
    void underBf16AutocastAChannelsLastMapIsNormalisedInFloat32AndReturnedInBf16LikeLibtorchs() {
        try (PointerScope scope = new PointerScope()) {
            ParameterStore store = new ParameterStore(new RandomStream(1), ScalarType.Float);
            GroupNormLayer norm = layer(store, 64, 2);
            Tensor x = new RandomStream(4).normal(new long[] {2, 64, 8, 8}).to(ScalarType.BFloat16);
            Tensor w = store.parameters().get("norm.weight"), b = store.parameters().get("norm.bias");
            try (AutocastScope autocast = AutocastScope.on(ScalarType.BFloat16)) {
                Tensor expected = torch.group_norm(x, 32, new TensorOptional(w), new TensorOptional(b), 1e-5, false);
                Tensor got = norm.forward(x.contiguous(torch.MemoryFormat.ChannelsLast));
                assertEquals(expected.scalar_type().intern(), got.scalar_type().intern(), "the dtype autocast's group_norm gives");
                assertEquals(ScalarType.BFloat16, got.scalar_type().intern());
                // both round float32 results to bf16 (8 significant bits): at most one unit in the last place apart
                Tensor ulp = expected.to(ScalarType.Float).abs().mul(new Scalar(1.0 / 128)).add(new Scalar(1e-6));
                double worst = got.to(ScalarType.Float).sub(expected.to(ScalarType.Float)).abs().div(ulp).max().item_double();
                assertTrue(worst <= 1.0, "bf16 outputs differ by " + worst + " units in the last place");
            }
        }
    }
}
