package org.atdiff.nn;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/** Copies a state dict into a network's named parameters in place, all or nothing. */
final class StateDictCopy {
    private StateDictCopy() {}

    /**
     * Copies {@code state} into {@code params} without recording gradients (converting the dtype if needed).
     * Nothing is copied unless the names match exactly and every shape agrees.
     *
     * @param owner names the network in error messages
     * @throws IllegalArgumentException naming the missing, unexpected or mis-shaped tensors
     */
    static void copy(Map<String, Tensor> params, Map<String, Tensor> state, String owner) {
        TreeSet<String> missing = new TreeSet<>(params.keySet());
        missing.removeAll(state.keySet());
        TreeSet<String> unexpected = new TreeSet<>(state.keySet());
        unexpected.removeAll(params.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException("state dict does not fit " + owner + ": missing " + missing
                    + ", unexpected " + unexpected);
        }
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            long[] want = HostTensors.shape(e.getValue());
            long[] got = HostTensors.shape(state.get(e.getKey()));
            if (!Arrays.equals(want, got)) {
                throw new IllegalArgumentException("shape mismatch for " + e.getKey() + ": " + owner + " has "
                        + Arrays.toString(want) + ", state dict has " + Arrays.toString(got));
            }
        }
        try (NoGradGuard guard = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) e.getValue().copy_(state.get(e.getKey()));
        }
    }
}
