package org.atdiff.train;

import org.atdiff.nn.FeatureClassifier;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains a {@link FeatureClassifier} on labelled uint8 images with cross-entropy and AdamW: a few epochs over
 * the training images in an order drawn from {@code RandomStream(seed)}, then its accuracy on the test images.
 */
public final class ClassifierTraining {
    /**
     * Images with labels in [0, classes).
     *
     * @param pixels n images of channels x size x size uint8 values (CHW), one after the other
     */
    public record LabelledImages(byte[] pixels, int[] labels, int channels, int size) {
        public LabelledImages {
            if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
            if ((long) labels.length * channels * size * size != pixels.length) {
                throw new IllegalArgumentException(pixels.length + " pixel bytes do not hold " + labels.length
                        + " images of " + channels + "x" + size + "x" + size);
            }
        }

        public int count() {
            return labels.length;
        }

        int imageBytes() {
            return channels * size * size;
        }

        /** Images {@code rows} as a float tensor in [-1, 1] and their labels as a long tensor. */
        Tensor[] batch(int[] rows, int from, int to) {
            int n = to - from, per = imageBytes();
            byte[] px = new byte[n * per];
            long[] y = new long[n];
            for (int b = 0; b < n; b++) {
                int r = rows == null ? from + b : rows[from + b];
                System.arraycopy(pixels, r * per, px, b * per, per);
                y[b] = labels[r];
            }
            return new Tensor[] {HostTensors.fromPixels(px, n, channels, size, size), HostTensors.fromLongs(y, n)};
        }
    }

    /** Hyper-parameters: epochs over the training images, minibatch size, AdamW learning rate, network width. */
    public record Settings(int epochs, int batchSize, double lr, int width, long seed) {
        public Settings {
            if (epochs < 1) throw new IllegalArgumentException("classifier epochs must be >= 1: " + epochs);
            if (batchSize < 1) throw new IllegalArgumentException("classifier batch size must be >= 1: " + batchSize);
            if (!(lr > 0)) throw new IllegalArgumentException("classifier learning rate must be > 0: " + lr);
        }
    }

    /** The trained classifier, the mean loss of its last epoch, and its accuracy on the test images (NaN if none). */
    public record Result(FeatureClassifier classifier, double lastEpochLoss, double testAccuracy, long steps) {}

    private ClassifierTraining() {}

    public static Result train(LabelledImages train, LabelledImages test, int classes, Settings s) {
        if (train.count() == 0) throw new IllegalArgumentException("no training images for the classifier");
        for (int label : train.labels()) {
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " is outside [0, " + classes + ")");
            }
        }
        FeatureClassifier model = new FeatureClassifier(train.channels(), train.size(), classes, s.width(), s.seed());
        AdamW optimizer = new AdamW(model.parameters(), 0.0);
        RandomStream order = new RandomStream(s.seed()).derive(1);
        double epochLoss = Double.NaN;
        long steps = 0;
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            int[] perm = permutation(train.count(), order.derive(epoch));
            double sum = 0;
            int batches = 0;
            for (int from = 0; from < perm.length; from += s.batchSize()) {
                int to = Math.min(perm.length, from + s.batchSize());
                try (PointerScope scope = new PointerScope()) {
                    Tensor[] xy = train.batch(perm, from, to);
                    Tensor loss = torch.cross_entropy_loss(model.logits(xy[0]), xy[1]); // mean -log softmax(logits)_y
                    loss.backward();
                    sum += loss.item_double();
                    optimizer.step(s.lr());
                    try (NoGradScope g = new NoGradScope()) {
                        for (Tensor p : model.parameters()) {
                            Tensor grad = p.grad();
                            if (grad.defined()) grad.zero_();
                        }
                    }
                }
                batches++;
                steps++;
            }
            epochLoss = sum / batches;
        }
        double accuracy = test == null || test.count() == 0 ? Double.NaN : accuracy(model, test);
        return new Result(model, epochLoss, accuracy, steps);
    }

    /** Fraction of {@code images} whose arg-max logit is their label. */
    public static double accuracy(FeatureClassifier model, LabelledImages images) {
        long correct = 0;
        try (NoGradScope g = new NoGradScope()) {
            for (int from = 0; from < images.count(); from += 256) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor[] xy = images.batch(null, from, Math.min(images.count(), from + 256));
                    Tensor predicted = model.logits(xy[0]).argmax(new LongOptional(1), false);
                    correct += predicted.eq(xy[1]).sum().item_long();
                }
            }
        }
        return (double) correct / images.count();
    }

    /** Fisher-Yates shuffle of 0..n-1 (Knuth, TAOCP vol. 2, Algorithm 3.4.2P). */
    private static int[] permutation(int n, RandomStream rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
