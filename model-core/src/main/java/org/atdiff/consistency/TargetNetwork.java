package org.atdiff.consistency;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.objective.CheckpointedState;
import org.atdiff.optim.NoGradScope;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The target network theta^- of the consistency loss, evaluated without gradient. Either an EMA copy of the student,
 * theta^- <- mu theta^- + (1 - mu) theta after every optimizer step (Song et al., "Consistency Models", 2023,
 * Algorithm 2, mu = 0.95 for CD), or the student itself behind a stop-gradient (mu = 0; Song and Dhariwal,
 * "Improved Techniques for Training Consistency Models", 2023, sec. 3.2). The EMA copy's weights are its
 * {@link CheckpointedState}.
 */
public final class TargetNetwork implements CheckpointedState {
    private final TrainableDenoiser network;
    private final double rate;
    private final LinkedHashMap<String, Tensor> student = new LinkedHashMap<>();
    private final LinkedHashMap<String, Tensor> target = new LinkedHashMap<>();

    private TargetNetwork(TrainableDenoiser network, double rate) {
        this.network = network;
        this.rate = rate;
    }

    /** The student with stop-gradient: no copy, nothing to update or checkpoint. */
    public static TargetNetwork stopGradient(TrainableDenoiser student) {
        if (student == null) throw new IllegalArgumentException("student must be given");
        return new TargetNetwork(student, 0);
    }

    /**
     * An EMA of the student kept in {@code copy} (a second network of the same architecture, not the student),
     * whose weights are set to the student's now.
     *
     * @param rate mu in [0, 1)
     */
    public static TargetNetwork ema(TrainableDenoiser student, TrainableDenoiser copy, double rate) {
        if (student == null || copy == null) throw new IllegalArgumentException("student and target copy must be given");
        if (student == copy) throw new IllegalArgumentException("the EMA target needs its own copy of the network");
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("cm.ema-rate must be in [0, 1): " + rate);
        TargetNetwork t = new TargetNetwork(copy, rate);
        LinkedHashMap<String, Tensor> s = student.stateDict(), c = copy.stateDict();
        if (!s.keySet().equals(c.keySet())) {
            throw new IllegalArgumentException("target copy state names " + c.keySet() + " differ from the student's "
                    + s.keySet());
        }
        try (NoGradScope g = new NoGradScope()) {
            for (Map.Entry<String, Tensor> e : s.entrySet()) {
                Tensor dst = c.get(e.getKey());
                requireSameShape(e.getKey(), e.getValue(), dst);
                dst.copy_(e.getValue());
                t.student.put(e.getKey(), new Tensor(e.getValue()).retainReference()); // outlive any caller scope
                t.target.put(e.getKey(), new Tensor(dst).retainReference());
            }
        }
        copy.train(false);
        return t;
    }

    /** The network to evaluate (under no-grad) for the target. */
    public Denoiser network() {
        return network;
    }

    /** mu (0 for the stop-gradient target). */
    public double rate() {
        return rate;
    }

    /** True when the target has its own weights (to checkpoint with {@link #state()}). */
    public boolean hasOwnWeights() {
        return !target.isEmpty();
    }

    /** After an optimizer step: theta^- <- mu theta^- + (1 - mu) theta (a no-op for the stop-gradient target). */
    public void update() {
        if (target.isEmpty()) return;
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            Scalar weight = new Scalar(1 - rate);
            for (Map.Entry<String, Tensor> e : target.entrySet()) {
                Tensor live = student.get(e.getKey());
                if (e.getValue().is_floating_point()) e.getValue().lerp_(live, weight); // mu t + (1 - mu) s
                else e.getValue().copy_(live);
            }
        }
    }

    /** The target weights by name (empty for the stop-gradient target); live tensors: copy before modifying. */
    @Override
    public LinkedHashMap<String, Tensor> state() {
        return new LinkedHashMap<>(target);
    }

    /**
     * Restores target weights saved by {@link #state()}; a checkpoint without them cannot resume an EMA target (it
     * was written by another objective). Nothing to restore for the stop-gradient target.
     */
    @Override
    public void restore(Map<String, Tensor> state, String source) {
        if (!hasOwnWeights()) return;
        if (state.isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + source + " has no target network (target.* tensors), so "
                    + "a train.objective = cd run cannot resume from it; it was written by another objective: use "
                    + "another run.dir");
        }
        if (!state.keySet().equals(target.keySet())) {
            throw new IllegalArgumentException("target state names " + state.keySet() + " do not match "
                    + target.keySet());
        }
        try (NoGradScope g = new NoGradScope()) {
            for (Map.Entry<String, Tensor> e : target.entrySet()) {
                requireSameShape(e.getKey(), state.get(e.getKey()), e.getValue());
                e.getValue().copy_(state.get(e.getKey()));
            }
        }
    }

    private static void requireSameShape(String name, Tensor src, Tensor dst) {
        if (!Arrays.equals(HostTensors.shape(src), HostTensors.shape(dst))) {
            throw new IllegalArgumentException("target state '" + name + "' has shape "
                    + Arrays.toString(HostTensors.shape(src)) + ", expected " + Arrays.toString(HostTensors.shape(dst)));
        }
    }
}
