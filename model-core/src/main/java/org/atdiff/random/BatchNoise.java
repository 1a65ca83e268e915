package org.atdiff.random;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * Gaussian noise for a batch with one {@link RandomStream} per row: row b of every draw comes from stream b
 * only. When sample i of a job uses {@code new RandomStream(seed).derive(i)} for its initial noise and every
 * later draw, its image does not depend on how samples are batched or partitioned.
 */
public final class BatchNoise {
    private final RandomStream[] streams;

    public BatchNoise(RandomStream... streams) {
        if (streams.length == 0) throw new IllegalArgumentException("a batch needs at least one stream");
        this.streams = streams.clone();
    }

    /** Streams for samples firstIndex .. firstIndex + count - 1: stream i = new RandomStream(seed).derive(i). */
    public static BatchNoise forSamples(long seed, long firstIndex, int count) {
        RandomStream root = new RandomStream(seed);
        RandomStream[] s = new RandomStream[count];
        for (int b = 0; b < count; b++) s[b] = root.derive(firstIndex + b);
        return new BatchNoise(s);
    }

    /** Streams for the given sample indices: row b uses new RandomStream(seed).derive(indices[b]). */
    public static BatchNoise forSamples(long seed, long[] indices) {
        RandomStream root = new RandomStream(seed);
        RandomStream[] s = new RandomStream[indices.length];
        for (int b = 0; b < s.length; b++) s[b] = root.derive(indices[b]);
        return new BatchNoise(s);
    }

    public int rows() {
        return streams.length;
    }

    public RandomStream stream(int row) {
        return streams[row];
    }

    /** Standard normal float tensor of shape [rows, perRowShape...]; row b drawn from stream b. */
    public Tensor normal(long... perRowShape) {
        long n = 1;
        for (long s : perRowShape) n *= s;
        int per = Math.toIntExact(n);
        float[] all = new float[Math.multiplyExact(per, streams.length)];
        for (int b = 0; b < streams.length; b++) {
            System.arraycopy(streams[b].gaussians(per), 0, all, b * per, per);
        }
        long[] shape = new long[perRowShape.length + 1];
        shape[0] = streams.length;
        System.arraycopy(perRowShape, 0, shape, 1, perRowShape.length);
        return HostTensors.fromFloats(all, shape);
    }
}
