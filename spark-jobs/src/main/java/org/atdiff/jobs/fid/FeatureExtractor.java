package org.atdiff.jobs.fid;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.atdiff.nn.FeatureClassifier;
import org.atdiff.nn.FidInceptionV3;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A feature network as executors receive it: its kind ({@code inception} or {@code classifier}), the bytes of its
 * weights file, and its identity {@code <kind>:<sha256 of the weights file>}. Statistics record the identity, and
 * statistics of different identities are never compared. Inception scores are reported as {@code fid}, classifier
 * scores as {@code fd_classifier}.
 */
public final class FeatureExtractor implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String kind;
    private final String checksum;
    private final int dimension;
    private final int inputChannels, inputSize;
    private final String source;
    private final byte[] weights;

    /** Pixels of one batch to features on an executor; closing frees its weights. */
    public interface Network extends AutoCloseable {
        /**
         * @param pixels n images of c x h x w uint8 values (CHW), one after the other
         * @return float [n, dimension]
         */
        Tensor features(byte[] pixels, int n, int c, int h, int w);

        /** The class each row of {@code features} is put in (argmax of the logits), or null if it does not classify. */
        default long[] classes(Tensor features) {
            return null;
        }

        @Override
        default void close() {}
    }

    private FeatureExtractor(String kind, String checksum, int dimension, int inputChannels, int inputSize, String source,
                             byte[] weights) {
        this.kind = kind;
        this.checksum = checksum;
        this.dimension = dimension;
        this.inputChannels = inputChannels;
        this.inputSize = inputSize;
        this.source = source;
        this.weights = weights;
    }

    /** The extractor of a trained classifier saved at {@code source}. */
    public static FeatureExtractor classifier(FeatureClassifier c, String source) {
        byte[] bytes = c.toBytes();
        return new FeatureExtractor("classifier", c.checksum(), c.featureDimension(), c.inChannels(), c.imageSize(), source,
                bytes);
    }

    /**
     * The extractor of pytorch-fid's Inception-v3 from its safetensors weights file (read once here, so a broken
     * file fails on the driver).
     */
    public static FeatureExtractor inception(byte[] weights, String source) throws IOException {
        try (FidInceptionV3 check = FidInceptionV3.load(new ByteArrayInputStream(weights), source)) {
            return new FeatureExtractor("inception", sha256(weights), FidInceptionV3.FEATURES, 0, 0, source, weights);
        }
    }

    public String kind() {
        return kind;
    }

    /** {@code <kind>:<sha256>}. */
    public String id() {
        return kind + ":" + checksum;
    }

    public String checksum() {
        return checksum;
    }

    public int dimension() {
        return dimension;
    }

    /** The image channels the network takes, or 0 for any (Inception resizes and converts every input itself). */
    public int inputChannels() {
        return inputChannels;
    }

    /** The image side length the network takes, or 0 for any. */
    public int inputSize() {
        return inputSize;
    }

    /** The weights file this extractor was read from. */
    public String source() {
        return source;
    }

    /** The key of the score in fid.json: {@code fid} for Inception features, {@code fd_classifier} otherwise. */
    public String scoreName() {
        return kind.equals("inception") ? "fid" : "fd_" + kind;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Builds the network (on the calling thread; an executor calls this once per task). */
    public Network open() {
        try {
            if (kind.equals("classifier")) {
                FeatureClassifier c = FeatureClassifier.fromBytes(weights, source);
                return new Network() {
                    @Override
                    public Tensor features(byte[] px, int n, int ch, int h, int w) {
                        if (ch != c.inChannels() || h != c.imageSize() || w != c.imageSize()) {
                            throw new IllegalArgumentException("images of " + ch + "x" + h + "x" + w + " do not fit the "
                                    + "classifier " + source + " (trained on " + c.inChannels() + "x" + c.imageSize()
                                    + "x" + c.imageSize() + ")");
                        }
                        return c.features(HostTensors.fromPixels(px, n, ch, h, w));
                    }

                    @Override
                    public long[] classes(Tensor features) {
                        return HostTensors.toLongs(c.classify(features).argmax(new LongOptional(1), false));
                    }
                };
            }
            FidInceptionV3 net = FidInceptionV3.load(new ByteArrayInputStream(weights), source);
            return new Network() {
                @Override
                public Tensor features(byte[] px, int n, int ch, int h, int w) {
                    // uint8 pixels in [0, 255]: FidInceptionV3 divides by 255 as pytorch-fid's ToTensor does
                    Tensor images = torch.empty(new long[] {n, ch, h, w}, new TensorOptions(ScalarType.Byte), null);
                    images.data_ptr_byte().put(px, 0, n * ch * h * w);
                    return net.features(images);
                }

                @Override
                public void close() {
                    net.close();
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
