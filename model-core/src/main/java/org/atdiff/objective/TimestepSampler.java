package org.atdiff.objective;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.random.RandomStream;
import org.bytedeco.pytorch.Tensor;

/**
 * How training draws a sample's timestep t, and the importance weight 1 / (T p_t) its loss gets so that the expected
 * loss stays the uniform-t objective (improved-diffusion's resample.py; Nichol and Dhariwal 2021, sec. 3.3). Config
 * key {@code train.timestep-sampler}: {@code uniform} or {@code loss-second-moment}.
 */
public interface TimestepSampler extends CheckpointedState {
    /** The names {@link #named} accepts. */
    List<String> NAMES = List.of("uniform", "loss-second-moment");

    /** t ~ U{0..T-1} with weight 1 (DDPM, Algorithm 1). */
    TimestepSampler UNIFORM = new TimestepSampler() {
        @Override
        public int draw(RandomStream stream, int timesteps) {
            return stream.nextInt(timesteps);
        }

        @Override
        public double weight(int t, int timesteps) {
            return 1.0;
        }
    };

    /** Draws one sample's timestep in [0, timesteps) with exactly one draw from its stream. */
    int draw(RandomStream stream, int timesteps);

    /** The importance weight 1 / (T p_t) of timestep t under the distribution {@link #draw} uses now. */
    double weight(int t, int timesteps);

    /**
     * Whether {@link #record} changes the distribution: then the trainer gathers every worker's (t, loss) pairs of a
     * step and records all of them, in global row order, on every replica.
     */
    default boolean usesLosses() {
        return false;
    }

    /** Adds one step's per-sample (unweighted) losses at timesteps t, in order. */
    default void record(int[] t, double[] losses) {}

    /** The state a checkpoint keeps (tensors by name); empty for a stateless sampler. */
    @Override
    default LinkedHashMap<String, Tensor> state() {
        return new LinkedHashMap<>();
    }

    /** Restores {@link #state()} from a checkpoint ({@code source} names it in errors); an empty map is a fresh start. */
    @Override
    default void restore(Map<String, Tensor> state, String source) {}

    /** The sampler called {@code name} for a schedule of {@code timesteps} steps. */
    static TimestepSampler named(String name, int timesteps) {
        return switch (name) {
            case "uniform" -> UNIFORM;
            case "loss-second-moment" -> new LossSecondMomentSampler(timesteps);
            default -> throw new IllegalArgumentException("unknown train.timestep-sampler '" + name + "' (valid: "
                    + String.join(", ", NAMES) + ")");
        };
    }
}
