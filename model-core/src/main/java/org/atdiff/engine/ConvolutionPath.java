package org.atdiff.engine;

import java.util.Locale;
import org.atdiff.settings.SettingChecks;
import org.atdiff.tensor.AutocastScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The ways this JVM can compute a 2-d convolution. libtorch's bundled oneDNN (v3.7.1) computes some float32 and
 * bfloat16 convolutions wrongly on AMD Zen 5 CPUs (shared/notes/engine.md: NCHW forward wrong for input channels
 * >= 16 not a multiple of 16, backward-data wrong for output channels not a multiple of 16 and many stride-2
 * shapes; channels-last wrong with one input channel, and for some 1x1 shapes on two threads only).
 * {@link ConvolutionEngine} checks the path in use against float64 and moves to the next one that passes, in the order
 * of {@link ConvolutionEngine#AUTO_ORDER} (fastest first, measured in docs/performance.md, "engine").
 */
public enum ConvolutionPath {
    /** oneDNN on the tensors as the model gives them (NCHW for the U-Net, channels-last for Inception). */
    DEFAULT,
    /**
     * oneDNN on channels-last activations and weights ({@code brgconv} kernels), with channel counts that are not a
     * multiple of 16 (a U-Net's first and last convolution, Inception's first) zero-padded up to one, because Zen 5
     * reads oneDNN's own padding of those blocks wrongly on some calls. Any shape the check finds wrong here runs on
     * {@link #MATRIX_PRODUCT}, the rest of the network staying on oneDNN: on Zen 5, 1x1 convolutions such as
     * Inception's 192->176 on two threads.
     */
    CHANNELS_LAST,
    /**
     * Every convolution as a matrix product, no oneDNN convolution: a 1x1 stride-1 convolution as one product over
     * the pixels (channels-last), others as im2col and a product. {@link #CHANNELS_LAST}'s path for the shapes it gets
     * wrong; forced, the whole network's.
     */
    MATRIX_PRODUCT,
    /**
     * oneDNN capped to AVX, where it falls back to its gemm-based convolution: correct on Zen 5 but half the speed,
     * and without bf16 instructions. Needs {@code ONEDNN_MAX_CPU_ISA=AVX} in the environment before libtorch loads
     * (the launcher and {@code spark.executorEnv} pass it when this path is configured), so it is never chosen by
     * {@code auto}: it is a path to force.
     */
    ONEDNN_AVX,
    /**
     * No oneDNN: ATen's own im2col convolution, correct everywhere, about 6x slower. Called by name, so that it never
     * depends on libtorch's process-wide oneDNN switch, which the engine leaves as it is (on).
     */
    NO_ONEDNN;

    /** The environment variable oneDNN reads once, when libtorch loads. */
    public static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";
    /** The value of {@link #ISA_VARIABLE} that {@link #ONEDNN_AVX} needs. */
    public static final String ISA_VALUE = "AVX";
    private static final long[] DILATION = {1, 1};
    /** oneDNN's channel block on AVX-512: channel counts that are not a multiple of it are padded. */
    private static final long ONEDNN_BLOCK = 16;

    /** The name {@code engine.conv-path} uses. */
    public String configName() {
        return SettingChecks.configName(this);
    }

    /** The path named {@code name} in {@code engine.conv-path} (not {@code auto}). */
    public static ConvolutionPath fromConfigName(String name) {
        return SettingChecks.choice("engine.conv-path", name, values(), ConvolutionPath::configName, "auto");
    }

    /** Whether oneDNN's ISA was capped to AVX for this process (by the environment, before libtorch loaded). */
    public static boolean isaCapped() {
        return ISA_VALUE.equals(System.getenv().getOrDefault(ISA_VARIABLE, "").trim().toUpperCase(Locale.ROOT));
    }

    /** Why this path cannot run in this process, or null when it can. */
    public String unavailableReason() {
        if (this == ONEDNN_AVX && !isaCapped()) {
            return "engine.conv-path=" + configName() + " needs " + ISA_VARIABLE + "=" + ISA_VALUE
                    + " in the environment before libtorch loads, and this JVM started without it (deploy/atdiff sets it"
                    + " when the path is given on its command line; spark-submit users export it for the driver and set"
                    + " spark.executorEnv." + ISA_VARIABLE + "=" + ISA_VALUE + ")";
        }
        return null;
    }

    /** The path a shape that fails the check on this one runs on, the others staying here; null for none. */
    ConvolutionPath shapeFallback() {
        return this == CHANNELS_LAST ? MATRIX_PRODUCT : null;
    }

    /**
     * conv2d(x, w) + b with "same"-style explicit padding and stride, dilation 1, one group, on this path.
     *
     * @param bias [out] or null
     */
    Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        if (this == MATRIX_PRODUCT) return matrixProductConv2d(x, weight, bias, stride, padding);
        if (this == NO_ONEDNN) return nativeConv2d(x, weight, bias, stride, padding);
        if (this != CHANNELS_LAST) {
            return torch.conv2d(x, weight, optional(bias), stride, padding, DILATION, 1);
        }
        // Zero channels up to oneDNN's 16-wide blocks, so that it pads nothing itself: Zen 5's faults read that
        // padding and come and go from call to call (one input channel: three JVMs found 6, 5 and 2 battery shapes
        // wrong; a 3-channel U-Net's gradient went NaN once in three CI runs). Zero channels add zero to every output.
        long out = weight.size(0), in = weight.size(1), outPad = roundUp(out) - out, inPad = roundUp(in) - in;
        Tensor w = outPad == 0 && inPad == 0 ? weight : torch.constant_pad_nd(weight, 0, 0, 0, 0, 0, inPad, 0, outPad);
        Tensor input = inPad == 0 ? x : torch.constant_pad_nd(x, 0, 0, 0, 0, 0, inPad);
        Tensor b = bias == null || outPad == 0 ? bias : torch.constant_pad_nd(bias, 0, outPad);
        Tensor y = torch.conv2d(input.contiguous(torch.MemoryFormat.ChannelsLast),
                w.contiguous(torch.MemoryFormat.ChannelsLast), optional(b), stride, padding, DILATION, 1);
        return outPad == 0 ? y : y.narrow(1, 0, out);
    }

    /**
     * ATen's im2col convolution ({@code thnn_conv2d}), prepared as {@code conv2d} prepares it with oneDNN switched off:
     * input and weight in one memory format (channels-last when either suggests it), and autocast's casts, which
     * autocast does not make for this operator.
     */
    private static Tensor nativeConv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        if (AutocastScope.inBf16()) {
            x = asAutocastWould(x);
            weight = asAutocastWould(weight);
            bias = bias == null ? null : asAutocastWould(bias);
        }
        torch.MemoryFormat format = x.suggest_memory_format(false).intern() == torch.MemoryFormat.ChannelsLast
                || weight.suggest_memory_format(false).intern() == torch.MemoryFormat.ChannelsLast
                ? torch.MemoryFormat.ChannelsLast : torch.MemoryFormat.Contiguous;
        return torch.thnn_conv2d(x.contiguous(format), weight.contiguous(format),
                new long[] {weight.size(2), weight.size(3)}, optional(bias), stride, padding);
    }

    /** bf16 autocast's cast of an operand: float32 to bf16, other types (bf16, float64) as they are. */
    private static Tensor asAutocastWould(Tensor t) {
        return t.scalar_type().intern() == ScalarType.Float ? t.to(ScalarType.BFloat16) : t;
    }

    /** {@code channels} rounded up to a multiple of oneDNN's channel block. */
    private static long roundUp(long channels) {
        return (channels + ONEDNN_BLOCK - 1) / ONEDNN_BLOCK * ONEDNN_BLOCK;
    }

    static TensorOptional optional(Tensor bias) {
        return bias == null ? new TensorOptional() : new TensorOptional(bias);
    }

    /**
     * The convolution as a matrix product. 1x1, stride 1, no padding: y[n, :, h, w] = W [C_out, C_in] x[n, :, h, w] + b
     * over the pixels of a channels-last input, returned channels-last. Otherwise over unfolded patches:
     * y[n] = W [C_out, C_in kh kw] . im2col(x[n]) + b.
     */
    private static Tensor matrixProductConv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding) {
        long out = weight.size(0), kh = weight.size(2), kw = weight.size(3);
        if (kh == 1 && kw == 1 && stride[0] == 1 && stride[1] == 1 && padding[0] == 0 && padding[1] == 0) {
            Tensor y = x.permute(0, 2, 3, 1).matmul(weight.reshape(out, -1).t()); // [N, H, W, C_out]
            if (bias != null) y = y.add(bias.to(y.scalar_type())); // in the product's type, as autocast's conv would
            return y.permute(0, 3, 1, 2);
        }
        long n = x.size(0), h = x.size(2), w = x.size(3);
        long ho = (h + 2 * padding[0] - kh) / stride[0] + 1, wo = (w + 2 * padding[1] - kw) / stride[1] + 1;
        Tensor cols = torch.im2col(x.contiguous(), new long[] {kh, kw}, DILATION, padding, stride); // [N, C kh kw, L]
        Tensor y = weight.reshape(out, -1).matmul(cols); // [N, C_out, L]
        if (bias != null) y = y.add(bias.view(1, out, 1).to(y.scalar_type()));
        return y.view(n, out, ho, wo);
    }
}
