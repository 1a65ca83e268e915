package org.atdiff.nn;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.io.SafeTensors;
import org.atdiff.nn.inception.BranchPool;
import org.atdiff.nn.inception.ConvBnRelu;
import org.atdiff.nn.inception.FidInceptionA;
import org.atdiff.nn.inception.FidInceptionC;
import org.atdiff.nn.inception.FidInceptionE;
import org.atdiff.nn.inception.InceptionB;
import org.atdiff.nn.inception.InceptionBlock;
import org.atdiff.nn.inception.InceptionD;
import org.atdiff.nn.inception.StateDictWeights;
import org.atdiff.nn.inception.WeightSource;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleArrayRefOptional;
import org.bytedeco.pytorch.LongArrayRef;
import org.bytedeco.pytorch.LongArrayRefOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The Inception-v3 that FID is defined with (Heusel et al. 2017), exactly as pytorch-fid builds it
 * ({@code InceptionV3([3])}, {@code use_fid_inception=True}): the 2048 pool3 features after Mixed_7c.
 *
 * <p>Input contract of {@link #features(Tensor)}: images [B, C, H, W] on the CPU with C = 3 (RGB) or C = 1
 * (grayscale, repeated to RGB as PIL's {@code convert("RGB")} does), any H and W, either float in [0, 1]
 * (pytorch-fid's contract; checked, so [-1, 1] samples are refused rather than silently mis-scaled) or uint8 pixels
 * in [0, 255] (divided by 255 as torchvision's ToTensor does). Each image is resized bilinearly to 299x299
 * ({@code align_corners=False}) and scaled to [-1, 1]; BatchNorm uses its running statistics
 * (eval mode, eps 0.001). Output: float [B, 2048].
 *
 * <p>Weights: pytorch-fid's state dict ({@code pt_inception-2015-12-05-6726825d.pth}) under its own names
 * ({@code Conv2d_1a_3x3.conv.weight}, {@code Mixed_5b.branch1x1.bn.running_mean}, ...); {@code fc.*} and
 * {@code num_batches_tracked} are ignored, anything else missing, extra or misshapen is an error naming the tensor.
 * The network owns its folded weights until {@link #close()}, whatever {@link PointerScope} it was built in.
 *
 * <p>Inference only: BatchNorm is folded into the convolutions, activations are channels-last, no autograd graph is
 * recorded. {@link #features} may be called from several threads at once; libtorch's intra-op thread count is the
 * caller's to set. About 5.7 GFLOP per image.
 */
public final class FidInceptionV3 implements AutoCloseable {
    /** How far float images may stray outside [0, 1] (rounding) before they are taken for another range, e.g. [-1, 1]. */
    public static final double RANGE_SLACK = 1e-3;
    /** Length of the pool3 feature vector. */
    public static final int FEATURES = 2048;
    /** Side every image is resized to. */
    public static final int INPUT_SIZE = 299;
    /** Images per forward pass in {@link #features(Tensor)}; bounds the activation memory (about 0.5 GB). */
    public static final int DEFAULT_CHUNK = 32;

    private static final long[] POOL = {3, 3};
    private static final long[] POOL_STRIDE = {2, 2};
    private static final long[] NO_PAD = {0, 0};
    private static final long[] DILATION = {1, 1};

    private final ConvBnRelu conv1a, conv2a, conv2b, conv3b, conv4a;
    private final List<InceptionBlock> mixed = new ArrayList<>();
    private boolean closed;

    private FidInceptionV3(WeightSource w) {
        conv1a = ConvBnRelu.load(w, "Conv2d_1a_3x3", 3, 32, 3, 3, 2, 0, 0);
        conv2a = ConvBnRelu.load(w, "Conv2d_2a_3x3", 32, 32, 3, 3, 1, 0, 0);
        conv2b = ConvBnRelu.load(w, "Conv2d_2b_3x3", 32, 64, 3, 3, 1, 1, 1);
        conv3b = ConvBnRelu.load(w, "Conv2d_3b_1x1", 64, 80, 1, 1, 1, 0, 0);
        conv4a = ConvBnRelu.load(w, "Conv2d_4a_3x3", 80, 192, 3, 3, 1, 0, 0);
        mixed.add(new FidInceptionA(w, "Mixed_5b", 192, 32));
        mixed.add(new FidInceptionA(w, "Mixed_5c", 256, 64));
        mixed.add(new FidInceptionA(w, "Mixed_5d", 288, 64));
        mixed.add(new InceptionB(w, "Mixed_6a", 288));
        mixed.add(new FidInceptionC(w, "Mixed_6b", 768, 128));
        mixed.add(new FidInceptionC(w, "Mixed_6c", 768, 160));
        mixed.add(new FidInceptionC(w, "Mixed_6d", 768, 160));
        mixed.add(new FidInceptionC(w, "Mixed_6e", 768, 192));
        mixed.add(new InceptionD(w, "Mixed_7a", 768));
        mixed.add(new FidInceptionE(w, "Mixed_7b", 1280, BranchPool.AVERAGE_EXCLUDING_PADDING));
        mixed.add(new FidInceptionE(w, "Mixed_7c", 2048, BranchPool.MAX));
    }

    /**
     * Loads the network from a safetensors file holding pytorch-fid's state dict (config {@code fid.inception-weights};
     * written by {@code deploy/convert_inception_weights.py} from {@code pt_inception-2015-12-05-6726825d.pth}).
     */
    public static FidInceptionV3 load(Path file) throws IOException {
        try (PointerScope scope = new PointerScope()) {
            return fromStateDict(SafeTensors.read(file).tensors(), file.toString());
        }
    }

    /** As {@link #load(Path)} from a stream (e.g. a Hadoop file system); {@code source} names it in errors. */
    public static FidInceptionV3 load(InputStream in, String source) throws IOException {
        try (PointerScope scope = new PointerScope()) {
            return fromStateDict(SafeTensors.read(in, source).tensors(), source);
        }
    }

    /** Builds the network from pytorch-fid's state dict (tensors of any floating type; they are not kept). */
    public static FidInceptionV3 fromStateDict(Map<String, Tensor> stateDict) {
        return fromStateDict(stateDict, "FID Inception weights");
    }

    /** As {@link #fromStateDict(Map)}; {@code origin} (e.g. the file name) prefixes error messages. */
    public static FidInceptionV3 fromStateDict(Map<String, Tensor> stateDict, String origin) {
        try (PointerScope scope = new PointerScope()) {
            StateDictWeights weights = new StateDictWeights(stateDict, origin);
            FidInceptionV3 net = new FidInceptionV3(weights);
            weights.checkAllUsed();
            for (Tensor t : net.tensors()) t.retainReference();
            return net;
        }
    }

    /** The name and shape of every tensor the network reads from a state dict, in build order. */
    public static LinkedHashMap<String, long[]> stateDictShapes() {
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope()) {
            new FidInceptionV3((name, shape) -> {
                shapes.put(name, shape.clone());
                return torch.zeros(shape, new TensorOptions(ScalarType.Float));
            });
        }
        return shapes;
    }

    /** pool3 features of {@code images} (see the class comment for the contract), {@link #DEFAULT_CHUNK} at a time. */
    public Tensor features(Tensor images) {
        return features(images, DEFAULT_CHUNK);
    }

    /** As {@link #features(Tensor)}, running at most {@code chunk} images per forward pass. */
    public Tensor features(Tensor images, int chunk) {
        if (closed) throw new IllegalStateException("FidInceptionV3 is closed");
        if (chunk < 1) throw new IllegalArgumentException("chunk must be positive, got " + chunk);
        checkImages(images);
        long b = images.size(0);
        Tensor out = torch.empty(new long[] {b, FEATURES}, new TensorOptions(ScalarType.Float), null);
        try (NoGradGuard noGrad = new NoGradGuard()) {
            for (long start = 0; start < b; start += chunk) {
                long n = Math.min(chunk, b - start);
                try (PointerScope scope = new PointerScope()) {
                    out.narrow(0, start, n).copy_(pool3(preprocess(images.narrow(0, start, n))));
                }
            }
        }
        return out;
    }

    /**
     * pytorch-fid's input path: bilinear resize to 299x299 without corner alignment, then x -> 2x - 1. The result is
     * channels-last (NHWC), the layout oneDNN's CPU convolutions run fastest in; every later op keeps it.
     */
    private static Tensor preprocess(Tensor images) {
        Tensor x = images.scalar_type().value == ScalarType.Byte.value
                ? images.to(ScalarType.Float).div(new Scalar(255.0))
                : images.to(ScalarType.Float);
        LongPointer size = new LongPointer(INPUT_SIZE, INPUT_SIZE); // an ArrayRef does not own its memory
        x = torch.upsample_bilinear2d(x, new LongArrayRefOptional(new LongArrayRef(size, 2)), false,
                new DoubleArrayRefOptional());
        if (x.size(1) == 1) x = x.expand(x.size(0), 3, INPUT_SIZE, INPUT_SIZE);
        return x.mul(new Scalar(2.0)).sub(new Scalar(1.0)).contiguous(torch.MemoryFormat.ChannelsLast);
    }

    /** The network proper on a [B, 3, 299, 299] batch in [-1, 1]: blocks 0-3 of pytorch-fid, then the mean over space. */
    private Tensor pool3(Tensor x) {
        x = conv2b.forward(conv2a.forward(conv1a.forward(x)));
        x = torch.max_pool2d(x, POOL, POOL_STRIDE, NO_PAD, DILATION, false);
        x = conv4a.forward(conv3b.forward(x));
        x = torch.max_pool2d(x, POOL, POOL_STRIDE, NO_PAD, DILATION, false);
        for (InceptionBlock block : mixed) x = block.forward(x);
        return x.mean(new long[] {2, 3}, false, new ScalarTypeOptional());
    }

    private static void checkImages(Tensor images) {
        if (images.dim() != 4) {
            throw new IllegalArgumentException("images must be [B, C, H, W], got " + images.dim() + " dimensions");
        }
        long c = images.size(1);
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("images must have 1 or 3 channels, got " + c);
        }
        ScalarType t = images.scalar_type(); // JavaCPP enums: compare values, not identity
        if (t.value != ScalarType.Float.value && t.value != ScalarType.Double.value && t.value != ScalarType.Byte.value) {
            throw new IllegalArgumentException("images must be float in [0, 1] or uint8, got " + t);
        }
        if (t.value != ScalarType.Byte.value && images.numel() > 0) {
            try (PointerScope scope = new PointerScope()) {
                double min = images.min().item_double();
                double max = images.max().item_double();
                if (min < -RANGE_SLACK || max > 1 + RANGE_SLACK) {
                    throw new IllegalArgumentException("float images must lie in [0, 1] (map [-1, 1] samples with "
                            + "(x + 1) / 2), got values in [" + min + ", " + max + "]");
                }
            }
        }
    }

    private List<Tensor> tensors() {
        List<ConvBnRelu> convs = new ArrayList<>(List.of(conv1a, conv2a, conv2b, conv3b, conv4a));
        for (InceptionBlock block : mixed) convs.addAll(block.convs());
        List<Tensor> all = new ArrayList<>();
        for (ConvBnRelu c : convs) all.addAll(c.tensors());
        return all;
    }

    /** Frees the network's weights; {@link #features} fails afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Tensor t : tensors()) t.releaseReference();
    }
}
