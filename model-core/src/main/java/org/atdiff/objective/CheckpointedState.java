package org.atdiff.objective;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * State beyond the model's weights that a checkpoint keeps so that a resumed run continues exactly where it stopped:
 * tensors by name. A training objective is one ({@link TrainingObjective#state()}), made of its parts: a loss-aware
 * timestep sampler's history, a consistency model's EMA target network.
 */
public interface CheckpointedState {
    /** The tensors to checkpoint, by name (live tensors: save or copy them before training goes on); empty when none. */
    LinkedHashMap<String, Tensor> state();

    /**
     * Restores what {@link #state()} returned when checkpoint {@code source} was written ({@code source} names it in
     * errors). An empty map is a checkpoint written without this state.
     */
    void restore(Map<String, Tensor> saved, String source);

    /** {@code part}'s state with every name prefixed by {@code prefix}, added to {@code into}. */
    static void putPrefixed(LinkedHashMap<String, Tensor> into, String prefix, CheckpointedState part) {
        part.state().forEach((k, v) -> into.put(prefix + k, v));
    }

    /** The entries of {@code saved} named {@code prefix}..., with the prefix removed. */
    static LinkedHashMap<String, Tensor> under(String prefix, Map<String, Tensor> saved) {
        LinkedHashMap<String, Tensor> part = new LinkedHashMap<>();
        saved.forEach((k, v) -> {
            if (k.startsWith(prefix)) part.put(k.substring(prefix.length()), v);
        });
        return part;
    }
}
