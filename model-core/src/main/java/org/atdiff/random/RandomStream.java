package org.atdiff.random;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;

/**
 * A deterministic, counter-based random stream: the state is (seed, counter), so it is checkpointed as two
 * longs and a stream for sample i is {@code derive(i)}, independent of how work is partitioned.
 * Each draw is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014)
 * applied to seed + counter * golden gamma.
 */
public final class RandomStream {
    private static final long GAMMA = 0x9E3779B97F4A7C15L;
    private final long seed;
    private long counter;

    public RandomStream(long seed) {
        this(seed, 0);
    }

    public RandomStream(long seed, long counter) {
        this.seed = seed;
        this.counter = counter;
    }

    public long seed() {
        return seed;
    }

    public long counter() {
        return counter;
    }

    /** An independent stream keyed by {@code key} (e.g. a sample index or a worker rank). */
    public RandomStream derive(long key) {
        return new RandomStream(mix(mix(seed ^ 0x632BE59BD9B4E019L) + key * GAMMA), 0);
    }

    public long nextLong() {
        return mix(seed + (++counter) * GAMMA);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextUniform() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    /** n standard normal draws by the Box-Muller transform (Box and Muller, 1958). */
    public float[] gaussians(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - nextUniform(); // (0, 1]
            double u2 = nextUniform();
            double r = Math.sqrt(-2.0 * Math.log(u1));
            out[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) out[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
        }
        return out;
    }

    /** A float tensor of standard normal draws with the given shape. */
    public Tensor normal(long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return HostTensors.fromFloats(gaussians(Math.toIntExact(n)), shape);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
