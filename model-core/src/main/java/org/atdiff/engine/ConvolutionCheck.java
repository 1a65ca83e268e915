package org.atdiff.engine;

import java.util.SplittableRandom;
import org.atdiff.tensor.AutocastScope;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Compares one convolution shape computed by an implementation (float32, or bfloat16 under CPU autocast) with the
 * same convolution in float64 on the same random inputs: the forward output, the input gradient (backward-data)
 * and the weight and bias gradients (backward-weights), each as max |a - b| / max |b| (an error relative to the
 * tensor's largest entry, so entries that are zero in exact arithmetic do not blow it up). float64 convolutions
 * never run in oneDNN, so the reference does not share the fault it looks for. The candidate runs twice, because
 * the Zen 5 fault reads uninitialised padding and shows on some calls only. Inputs larger than
 * {@link #MAX_SIDE} pixels a side are checked at that size (same channels, kernel, stride and padding): the faults
 * follow oneDNN's channel blocking, and Inception's 147x147 stem in float64 would otherwise take seconds. The
 * candidate runs on the shape's thread count, since some faults show on two threads only.
 */
public final class ConvolutionCheck {
    /** Largest error a correct float32 convolution shows here is about 1e-6; the faults are 0.1 and above, or NaN. */
    public static final double FLOAT32_TOLERANCE = 1e-3;
    /** bf16 rounds every output to 8 bits of mantissa (0.4%); PyTorch 1.13's worst on the battery was 0.004. */
    public static final double BF16_TOLERANCE = 3e-2;
    /** The largest input side the check runs at (Inception's main grid is 35x35). */
    public static final long MAX_SIDE = 35;
    private static final int REPEATS = 2;
    private static final long LARGE_INPUT = 1L << 16;

    /** A convolution under test: conv2d(x, w) + b, dilation 1, one group. */
    @FunctionalInterface
    public interface Implementation {
        /** @param bias [out] or null */
        Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding);
    }

    /** The errors of one shape; NaN where the candidate produced a non-finite value. */
    public record Result(ConvolutionShape shape, double forward, double backwardData, double backwardWeights) {
        /** The largest of the three errors (NaN if any is NaN). */
        public double worst() {
            if (Double.isNaN(forward) || Double.isNaN(backwardData) || Double.isNaN(backwardWeights)) return Double.NaN;
            return Math.max(forward, Math.max(backwardData, backwardWeights));
        }

        public double tolerance() {
            return shape.bf16() ? BF16_TOLERANCE : FLOAT32_TOLERANCE;
        }

        public boolean passed() {
            return worst() <= tolerance(); // false for NaN
        }

        /** Which of forward, backward-data and backward-weights failed, e.g. {@code backward-data 0.31}. */
        public String failure() {
            StringBuilder sb = new StringBuilder();
            append(sb, "forward", forward);
            append(sb, "backward-data", backwardData);
            append(sb, "backward-weights", backwardWeights);
            return sb.toString();
        }

        private void append(StringBuilder sb, String what, double error) {
            if (error <= tolerance()) return;
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(what).append(' ').append(format(error));
        }
    }

    private ConvolutionCheck() {}

    /**
     * Runs {@code shape} through {@code implementation} and through float64. The input (and, when
     * {@link ConvolutionShape#backward()}, the gradients) are compared; with bf16 the inputs are first rounded to
     * bfloat16 so that both sides start from the same numbers. Autocast is set as the shape says for the candidate,
     * then restored.
     */
    public static Result check(ConvolutionShape shape, Implementation implementation, long seed) {
        boolean wasGrad = GradMode.is_enabled();
        int wasThreads = torch.get_num_threads();
        GradMode.set_enabled(true);
        try (PointerScope scope = new PointerScope()) {
            long batch = shape.in() * Math.min(shape.height(), MAX_SIDE) * Math.min(shape.width(), MAX_SIDE) > LARGE_INPUT ? 1 : 2;
            SplittableRandom random = new SplittableRandom(seed);
            long height = Math.min(shape.height(), MAX_SIDE), width = Math.min(shape.width(), MAX_SIDE);
            Tensor x = uniform(random, shape.bf16(), batch, shape.in(), height, width);
            if (shape.channelsLast()) x = x.contiguous(torch.MemoryFormat.ChannelsLast);
            double scale = 1 / Math.sqrt(shape.in() * shape.kh() * shape.kw());
            Tensor w = uniform(random, shape.bf16(), shape.out(), shape.in(), shape.kh(), shape.kw()).mul_(new Scalar(scale));
            if (shape.bf16()) w = roundToBf16(w);
            if (shape.channelsLast()) w = w.contiguous(torch.MemoryFormat.ChannelsLast);
            Tensor b = shape.bias() ? uniform(random, shape.bf16(), shape.out()) : null;
            long[] stride = {shape.strideH(), shape.strideW()};
            long[] padding = {shape.padH(), shape.padW()};

            // The reference on one thread (it has no oneDNN kernel and its ops are small), the candidate on the
            // shape's threads: on Zen 5, channels-last 1x1 convolutions such as Inception's 192->176 are right on one
            // thread and 50% off on two, so a check on one thread would pass what the model then computes wrongly.
            torch.set_num_threads(1);
            Pass reference = run(x.to(ScalarType.Double), w.to(ScalarType.Double), b == null ? null : b.to(ScalarType.Double),
                    stride, padding, shape.backward(), null, random.nextLong(), ConvolutionCheck::reference);
            double forward = 0, data = 0, weights = 0;
            torch.set_num_threads(shape.threads());
            try (AutocastScope cast = AutocastScope.set(shape.bf16(), ScalarType.BFloat16)) {
                for (int r = 0; r < REPEATS; r++) {
                    Pass candidate = run(x, w, b, stride, padding, shape.backward(), reference.upstream, 0, implementation);
                    forward = worse(forward, relativeError(candidate.y, reference.y));
                    if (shape.backward()) {
                        data = worse(data, relativeError(candidate.gradX, reference.gradX));
                        double gw = relativeError(candidate.gradW, reference.gradW);
                        if (b != null) gw = worse(gw, relativeError(candidate.gradB, reference.gradB));
                        weights = worse(weights, gw);
                    }
                }
            }
            return new Result(shape, forward, data, weights);
        } finally {
            torch.set_num_threads(wasThreads);
            GradMode.set_enabled(wasGrad);
        }
    }

    /** The float64 reference: libtorch's own convolution, which has no oneDNN kernel for float64. */
    private static Tensor reference(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        return torch.conv2d(x, weight, ConvolutionPath.optional(bias), stride, padding, new long[] {1, 1}, 1);
    }

    /** One forward (and backward against {@code upstream}, or a fresh random upstream gradient) of fresh leaves. */
    private static Pass run(Tensor x0, Tensor w0, Tensor b0, long[] stride, long[] padding, boolean backward,
                            Tensor upstream, long upstreamSeed, Implementation implementation) {
        Tensor x = x0.detach().clone(), w = w0.detach().clone(), b = b0 == null ? null : b0.detach().clone();
        if (backward) {
            x.requires_grad_(true);
            w.requires_grad_(true);
            if (b != null) b.requires_grad_(true);
        }
        Tensor y = implementation.conv2d(x, w, b, stride, padding);
        Pass p = new Pass();
        p.y = y.detach().to(ScalarType.Double);
        if (!backward) return p;
        p.upstream = upstream != null ? upstream
                : roundToBf16(uniform(new SplittableRandom(upstreamSeed), false, HostTensors.shape(y))).to(ScalarType.Double);
        y.to(ScalarType.Double).mul(p.upstream).sum().backward();
        p.gradX = x.grad().to(ScalarType.Double);
        p.gradW = w.grad().to(ScalarType.Double);
        p.gradB = b == null ? null : b.grad().to(ScalarType.Double);
        return p;
    }

    private static final class Pass {
        Tensor y, upstream, gradX, gradW, gradB;
    }

    /** max |a - b| / max |b|, NaN when a has a non-finite entry. */
    static double relativeError(Tensor a, Tensor b) {
        double scale = b.abs().max().item_double();
        double diff = a.sub(b).abs().max().item_double();
        if (!Double.isFinite(diff)) return Double.NaN;
        return scale > 0 ? diff / scale : diff;
    }

    private static double worse(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
    }

    /** Uniform values in [-1, 1) (cheaper to draw than Gaussians; the check needs varied signs and sizes only). */
    private static Tensor uniform(SplittableRandom random, boolean bf16, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (2 * random.nextDouble() - 1);
        Tensor t = HostTensors.fromFloats(v, shape);
        return bf16 ? roundToBf16(t) : t;
    }

    /** The nearest bfloat16 values, kept in float32. */
    private static Tensor roundToBf16(Tensor t) {
        return t.to(ScalarType.BFloat16).to(ScalarType.Float);
    }

    /** An error for messages and the engine line: 3 significant digits, or NaN. */
    public static String format(double error) {
        return Double.isNaN(error) ? "NaN" : String.format("%.2g", error);
    }
}
