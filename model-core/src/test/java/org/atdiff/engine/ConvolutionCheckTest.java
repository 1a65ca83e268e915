package org.atdiff.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.atdiff.SingleThreadedTorch;
import org.atdiff.tensor.AutocastScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The check cannot pass silently: each kind of fault the Zen 5 oneDNN shows, handed to it, is caught. */
@ExtendWith(SingleThreadedTorch.class)
class ConvolutionCheckTest {
    private static final ConvolutionShape SHAPE = ConvolutionShape.square(17, 3, 3, 1, 16, false, 1);
    private static final ConvolutionShape STRIDED = ConvolutionShape.square(32, 17, 3, 2, 16, false, 1);

    /**
     * A convolution right on every CPU: computed in float64 (no oneDNN kernel) and rounded to the input's type. Not
     * a oneDNN path, which this test cannot assume right: on Zen 5 the default gets {@link #SHAPE} wrong.
     */
    private static Tensor correct(Tensor x, Tensor w, Tensor b, long[] stride, long[] padding) {
        return torch.conv2d(x.to(ScalarType.Double), w.to(ScalarType.Double),
                ConvolutionPath.optional(b == null ? null : b.to(ScalarType.Double)), stride, padding, new long[] {1, 1}, 1)
                .to(x.scalar_type());
    }

    @Test
    void aCorrectConvolutionPassesInFloat32AndBf16() {
        for (ConvolutionShape s : new ConvolutionShape[] {SHAPE, STRIDED, SHAPE.withBf16(true), STRIDED.withBf16(true)}) {
            ConvolutionCheck.Result r = ConvolutionCheck.check(s, ConvolutionCheckTest::correct, 1);
            assertTrue(r.passed(), s + ": " + r);
            assertTrue(r.backwardData() > 0 && r.backwardWeights() > 0, "the backward was compared: " + r);
        }
    }

    @Test
    void aWrongForwardIsCaught() {
        ConvolutionCheck.Result r = ConvolutionCheck.check(SHAPE,
                (x, w, b, s, p) -> correct(x, w, b, s, p).mul(new Scalar(1.01)), 2);
        assertFalse(r.passed());
        assertEquals(0.01, r.forward(), 2e-3);
        assertTrue(r.failure().startsWith("forward"), r.failure());
    }

    /** Forward right, backward-data zero: the input gradient of a last conv with 3 outputs, as on Zen 5. */
    @Test
    void aWrongBackwardDataIsCaught() {
        ConvolutionCheck.Result r = ConvolutionCheck.check(SHAPE, (x, w, b, s, p) -> correct(x.detach(), w, b, s, p)
                .add(x.sum().mul(new Scalar(0))), 3);
        assertTrue(r.forward() < ConvolutionCheck.FLOAT32_TOLERANCE, "forward is right: " + r);
        assertFalse(r.passed());
        assertEquals(1.0, r.backwardData(), 1e-9);
        assertTrue(r.failure().contains("backward-data"), r.failure());
    }

    @Test
    void aWrongBackwardWeightsIsCaught() {
        ConvolutionCheck.Result r = ConvolutionCheck.check(STRIDED, (x, w, b, s, p) -> {
            Tensor exact = correct(x, w.detach(), b, s, p);
            return exact.add(correct(x.detach(), w, null, s, p).mul(new Scalar(0.5)))
                    .sub(correct(x.detach(), w.detach(), null, s, p).mul(new Scalar(0.5)));
        }, 4);
        assertTrue(r.forward() < ConvolutionCheck.FLOAT32_TOLERANCE, "forward is right: " + r);
        assertTrue(r.backwardData() < ConvolutionCheck.FLOAT32_TOLERANCE, "backward-data is right: " + r);
        assertEquals(0.5, r.backwardWeights(), 1e-3);
        assertFalse(r.passed());
    }

    /** The Zen 5 fault reads uninitialised padding: NaN on some calls only. The check runs the candidate twice. */
    @Test
    void aNaNOnTheSecondCallOnlyIsCaught() {
        AtomicInteger calls = new AtomicInteger();
        ConvolutionCheck.Result r = ConvolutionCheck.check(SHAPE, (x, w, b, s, p) -> {
            Tensor y = correct(x, w, b, s, p);
            return calls.incrementAndGet() == 2 ? y.mul(new Scalar(Double.NaN)) : y;
        }, 5);
        assertEquals(2, calls.get());
        assertTrue(Double.isNaN(r.forward()) && Double.isNaN(r.worst()));
        assertFalse(r.passed());
        assertTrue(r.failure().contains("NaN"), r.failure());
    }

    @Test
    void bf16IsHeldToItsOwnTolerance() {
        ConvolutionShape bf16 = SHAPE.withBf16(true);
        ConvolutionCheck.Result small = ConvolutionCheck.check(bf16,
                (x, w, b, s, p) -> correct(x, w, b, s, p).mul(new Scalar(1.005)), 6);
        assertTrue(small.passed(), "0.5% is within bf16 rounding: " + small);
        ConvolutionCheck.Result large = ConvolutionCheck.check(bf16,
                (x, w, b, s, p) -> correct(x, w, b, s, p).mul(new Scalar(1.2)), 6);
        assertFalse(large.passed(), "20% is a fault: " + large);
    }

    @Test
    void theCheckLeavesAutocastAndGradModeAsItFoundThem() {
        org.bytedeco.pytorch.GradMode.set_enabled(false);
        try {
            ConvolutionCheck.check(SHAPE.withBf16(true), ConvolutionCheckTest::correct, 7);
            assertFalse(org.bytedeco.pytorch.GradMode.is_enabled());
            assertFalse(AutocastScope.enabled());
        } finally {
            org.bytedeco.pytorch.GradMode.set_enabled(true);
        }
    }
}
