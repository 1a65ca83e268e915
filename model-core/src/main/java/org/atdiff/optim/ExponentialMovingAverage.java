package org.atdiff.optim;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Shadow copies of a model's state updated as shadow <- rate * shadow + (1 - rate) * weight after every optimizer
 * step (Polyak averaging as used by Ho et al. 2020, appendix B, rate 0.9999). Floating-point entries of the model's
 * state dict are averaged; other entries (integer buffers) are copied. The shadows are owned here.
 */
public final class ExponentialMovingAverage {
    public static final double DEFAULT_RATE = 0.9999;
    private final LinkedHashMap<String, Tensor> live;
    private final LinkedHashMap<String, Tensor> shadow = new LinkedHashMap<>();
    private final double rate;

    /** Starts the shadows as copies of the model's current state. */
    public ExponentialMovingAverage(TrainableDenoiser model, double rate) {
        if (!(rate >= 0 && rate <= 1)) throw new IllegalArgumentException("ema-rate must be in [0, 1]: " + rate);
        this.rate = rate;
        this.live = new LinkedHashMap<>();
        try (NoGradScope g = new NoGradScope()) {
            for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
                live.put(e.getKey(), new Tensor(e.getValue()).retainReference()); // outlive any caller scope
                shadow.put(e.getKey(), e.getValue().detach().clone().retainReference());
            }
        }
    }

    public double rate() {
        return rate;
    }

    /** One averaging step towards the model's current weights. */
    public void update() {
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            Scalar weight = new Scalar(1 - rate);
            for (Map.Entry<String, Tensor> e : live.entrySet()) {
                Tensor s = shadow.get(e.getKey());
                if (s.is_floating_point()) {
                    s.lerp_(e.getValue(), weight); // s + (1 - rate) (w - s) = rate s + (1 - rate) w
                } else {
                    s.copy_(e.getValue());
                }
            }
        }
    }

    /** The shadow weights by name (the live tensors owned here: copy before modifying). */
    public LinkedHashMap<String, Tensor> stateDict() {
        return new LinkedHashMap<>(shadow);
    }

    /** Restores shadows saved by {@link #stateDict()}; names and shapes must match the model's. */
    public void loadStateDict(Map<String, Tensor> state) {
        if (!state.keySet().equals(shadow.keySet())) {
            throw new IllegalArgumentException("EMA state names " + state.keySet() + " do not match the model's "
                    + shadow.keySet());
        }
        try (NoGradScope g = new NoGradScope()) {
            for (Map.Entry<String, Tensor> e : shadow.entrySet()) {
                Tensor src = state.get(e.getKey());
                long[] want = HostTensors.shape(e.getValue());
                if (!Arrays.equals(HostTensors.shape(src), want)) {
                    throw new IllegalArgumentException("EMA state '" + e.getKey() + "' has shape "
                            + Arrays.toString(HostTensors.shape(src)) + ", expected " + Arrays.toString(want));
                }
                e.getValue().copy_(src);
            }
        }
    }

    /** Writes the shadow weights into a model of the same architecture (e.g. for sampling). */
    public void copyTo(TrainableDenoiser model) {
        LinkedHashMap<String, Tensor> target = model.stateDict();
        if (!target.keySet().equals(shadow.keySet())) {
            throw new IllegalArgumentException("model state names " + target.keySet() + " do not match the EMA's "
                    + shadow.keySet());
        }
        try (NoGradScope g = new NoGradScope()) {
            for (Map.Entry<String, Tensor> e : target.entrySet()) e.getValue().copy_(shadow.get(e.getKey()));
        }
    }
}
