package org.atdiff.nn;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.io.MalformedFileException;
import org.atdiff.io.SafeTensors;
import org.atdiff.io.SafeTensorsFile;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A small image classifier whose penultimate layer supplies features for a Frechet distance when no Inception
 * weights are at hand (scores from it are "FD_classifier", not FID). Three 3x3 convolutions with SiLU
 * (width w and 2w stride 2, each followed by GroupNorm, which removes the colour offsets of an image; then 4w stride 2),
 * a global max pool, a linear layer of {@code 4w} features with SiLU
 * (the features), and a linear layer to the class logits. Any image size; input float [B, C, H, W] in [-1, 1].
 *
 * <p>Saved as safetensors: its weights plus metadata {@code format} = {@value #FORMAT}, {@code in_channels},
 * {@code image_size}, {@code classes}, {@code width} and free-form entries such as {@code test_accuracy}. The
 * SHA-256 of the saved file identifies the feature extractor in statistics files ({@link #checksum()}).
 */
public final class FeatureClassifier {
    public static final String FORMAT = "atdiff-feature-classifier-v1";

    private final int inChannels, imageSize, classes, width;
    private final LinkedHashMap<String, Tensor> params;
    private final ConvLayer conv1, conv2, conv3;
    private final GroupNormLayer norm1, norm2;
    private final LinearLayer featureLayer, head;
    private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
    private String checksum;

    /**
     * @param inChannels image channels (1 or 3)
     * @param imageSize  side of the images it is trained on (recorded; the network accepts any size)
     * @param classes    number of classes (at least 2)
     * @param width      channels of the first convolution; the feature vector has 4 * width entries
     * @param seed       weights are drawn from {@code new RandomStream(seed)}
     */
    public FeatureClassifier(int inChannels, int imageSize, int classes, int width, long seed) {
        if (inChannels != 1 && inChannels != 3) throw new IllegalArgumentException("channels must be 1 or 3: " + inChannels);
        if (imageSize < 4) throw new IllegalArgumentException("image size must be at least 4: " + imageSize);
        if (classes < 2) throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        if (width < 1) throw new IllegalArgumentException("classifier width must be positive: " + width);
        this.inChannels = inChannels;
        this.imageSize = imageSize;
        this.classes = classes;
        this.width = width;
        ParameterStore store = new ParameterStore(new RandomStream(seed).derive(0), ScalarType.Float);
        conv1 = new ConvLayer(store, "conv1", inChannels, width, 3, 1, false);
        norm1 = new GroupNormLayer(store, "norm1", width);
        conv2 = new ConvLayer(store, "conv2", width, 2 * width, 3, 2, false);
        norm2 = new GroupNormLayer(store, "norm2", 2 * width);
        conv3 = new ConvLayer(store, "conv3", 2 * width, 4 * width, 3, 2, false);
        featureLayer = new LinearLayer(store, "features", 4 * width, 4 * width);
        head = new LinearLayer(store, "head", 4 * width, classes);
        params = store.parameters();
    }

    public int inChannels() {
        return inChannels;
    }

    public int imageSize() {
        return imageSize;
    }

    public int classes() {
        return classes;
    }

    public int width() {
        return width;
    }

    /** Length of the feature vector: 4 * width. */
    public int featureDimension() {
        return 4 * width;
    }

    /** The penultimate activations, float [B, 4w], of images float [B, C, H, W] in [-1, 1]. */
    public Tensor features(Tensor images) {
        long[] s = HostTensors.shape(images);
        if (s.length != 4 || s[1] != inChannels) {
            throw new IllegalArgumentException("classifier input must be [B, " + inChannels + ", H, W], got "
                    + Arrays.toString(s));
        }
        Tensor h = torch.silu(norm1.forward(conv1.forward(images)));
        h = torch.silu(norm2.forward(conv2.forward(h)));
        h = torch.silu(conv3.forward(h));
        h = h.amax(new long[] {2, 3}, false); // global max pool -> [B, 4w]
        return torch.silu(featureLayer.forward(h));
    }

    /** Class logits [B, classes]. */
    public Tensor logits(Tensor images) {
        return classify(features(images));
    }

    /** Class logits [B, classes] of features [B, 4w] computed by {@link #features}. */
    public Tensor classify(Tensor features) {
        return head.forward(features);
    }

    public List<Tensor> parameters() {
        return List.copyOf(params.values());
    }

    public LinkedHashMap<String, Tensor> stateDict() {
        return new LinkedHashMap<>(params);
    }

    /** Copies {@code state} into the weights; names and shapes must match exactly. */
    public void loadStateDict(Map<String, Tensor> state) {
        StateDictCopy.copy(params, state, "the classifier");
        checksum = null;
    }

    /** Free-form metadata saved with the weights (e.g. test_accuracy); the architecture keys are added on save. */
    public LinkedHashMap<String, String> metadata() {
        return metadata;
    }

    /** The safetensors bytes of this classifier; also fixes {@link #checksum()} to their SHA-256. */
    public byte[] toBytes() {
        LinkedHashMap<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", FORMAT);
        meta.put("in_channels", Integer.toString(inChannels));
        meta.put("image_size", Integer.toString(imageSize));
        meta.put("classes", Integer.toString(classes));
        meta.put("width", Integer.toString(width));
        byte[] bytes = SafeTensors.toBytes(params, meta);
        checksum = sha256(bytes);
        return bytes;
    }

    public void save(OutputStream out) throws IOException {
        out.write(toBytes());
    }

    /**
     * The SHA-256 (hex) of this classifier's file: of the bytes it was loaded from or last saved as; computed from
     * {@link #toBytes()} if neither happened since the weights last changed.
     */
    public String checksum() {
        if (checksum == null) toBytes();
        return checksum;
    }

    public static FeatureClassifier load(InputStream in, String source) throws IOException {
        return fromBytes(in.readAllBytes(), source);
    }

    /** Reads a classifier saved by {@link #save}; anything else is a {@link MalformedFileException} naming the source. */
    public static FeatureClassifier fromBytes(byte[] bytes, String source) throws IOException {
        SafeTensorsFile file = SafeTensors.read(bytes, source);
        Map<String, String> meta = file.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new MalformedFileException(source, "not a feature classifier: metadata format is "
                    + (meta.get("format") == null ? "missing" : "'" + meta.get("format") + "'") + ", expected '"
                    + FORMAT + "'");
        }
        FeatureClassifier c;
        try {
            c = new FeatureClassifier(intMeta(meta, "in_channels", source), intMeta(meta, "image_size", source),
                    intMeta(meta, "classes", source), intMeta(meta, "width", source), 0);
            c.loadStateDict(file.tensors());
        } catch (IllegalArgumentException e) {
            throw new MalformedFileException(source, e.getMessage(), e);
        }
        meta.forEach((k, v) -> {
            if (!List.of("format", "in_channels", "image_size", "classes", "width").contains(k)) c.metadata.put(k, v);
        });
        c.checksum = sha256(bytes);
        return c;
    }

    private static int intMeta(Map<String, String> meta, String key, String source) throws MalformedFileException {
        String v = meta.get(key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new MalformedFileException(source, "metadata '" + key + "' is not an integer: " + v);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
