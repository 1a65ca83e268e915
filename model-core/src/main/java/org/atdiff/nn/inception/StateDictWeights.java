package org.atdiff.nn.inception;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.pytorch.Tensor;

/**
 * A {@link WeightSource} over a state dict keyed by pytorch-fid's names. Checks each requested tensor's presence,
 * shape and floating type, and after the build ({@link #checkAllUsed()}) that nothing but ignorable tensors was
 * left over: the classifier ({@code fc.*}, not part of the pool3 features) and BatchNorm's
 * {@code num_batches_tracked} counters.
 */
public final class StateDictWeights implements WeightSource {
    private final String origin;
    private final Map<String, Tensor> stateDict;
    private final Set<String> used = new HashSet<>();

    /** @param origin what the tensors came from (a file name), used in error messages */
    public StateDictWeights(Map<String, Tensor> stateDict, String origin) {
        this.stateDict = stateDict;
        this.origin = origin;
    }

    @Override
    public Tensor tensor(String name, long... shape) {
        Tensor t = stateDict.get(name);
        if (t == null) {
            throw new IllegalArgumentException(origin + ": missing tensor '" + name + "' of shape "
                    + Arrays.toString(shape));
        }
        long[] actual = t.sizes().vec().get();
        if (!Arrays.equals(actual, shape)) {
            throw new IllegalArgumentException(origin + ": tensor '" + name + "' has shape "
                    + Arrays.toString(actual) + ", expected " + Arrays.toString(shape));
        }
        if (!t.is_floating_point()) {
            throw new IllegalArgumentException(origin + ": tensor '" + name + "' has type " + t.scalar_type()
                    + ", expected a floating-point type");
        }
        used.add(name);
        return t;
    }

    /** @throws IllegalArgumentException listing the tensors that no block asked for (other than ignorable ones) */
    public void checkAllUsed() {
        TreeSet<String> unexpected = new TreeSet<>();
        for (String name : stateDict.keySet()) {
            if (!used.contains(name) && !isIgnorable(name)) unexpected.add(name);
        }
        if (!unexpected.isEmpty()) {
            List<String> shown = unexpected.stream().limit(10).toList();
            throw new IllegalArgumentException(origin + ": " + unexpected.size()
                    + " unexpected tensor(s) for the FID Inception-v3: " + shown
                    + (unexpected.size() > shown.size() ? " ..." : ""));
        }
    }

    private static boolean isIgnorable(String name) {
        return name.startsWith("fc.") || name.endsWith(".num_batches_tracked");
    }
}
