package org.atdiff.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019,
 * Algorithm 2), with the bias correction and update order of torch.optim.AdamW. The moment estimates are tensors
 * owned here, so {@link #stateDict()} / {@link #loadStateDict(Map)} can checkpoint and restore them exactly.
 * All parameters share one step count; a parameter whose gradient is undefined is left untouched (no decay).
 */
public final class AdamW {
    private final List<Tensor> params;
    private final double beta1, beta2, eps, weightDecay;
    private final Tensor[] expAvg, expAvgSq;
    private long step;

    /** With torch's defaults beta1 = 0.9, beta2 = 0.999, eps = 1e-8. */
    public AdamW(List<Tensor> params, double weightDecay) {
        this(params, 0.9, 0.999, 1e-8, weightDecay);
    }

    public AdamW(List<Tensor> params, double beta1, double beta2, double eps, double weightDecay) {
        requireIn("beta1", beta1, 0, 1);
        requireIn("beta2", beta2, 0, 1);
        if (!(eps > 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("eps must be > 0: " + eps);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight-decay must be >= 0: " + weightDecay);
        }
        this.params = params.stream().map(p -> new Tensor(p).<Tensor>retainReference()).toList(); // outlive any caller scope
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        expAvg = new Tensor[params.size()];
        expAvgSq = new Tensor[params.size()];
        try (NoGradScope g = new NoGradScope()) {
            for (int i = 0; i < expAvg.length; i++) {
                expAvg[i] = torch.zeros_like(params.get(i)).retainReference();
                expAvgSq[i] = torch.zeros_like(params.get(i)).retainReference();
            }
        }
    }

    private static void requireIn(String name, double v, double lo, double hi) {
        if (!(v >= lo && v < hi)) throw new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "): " + v);
    }

    /** Number of updates taken so far. */
    public long steps() {
        return step;
    }

    /** One update of every parameter from its current gradient with learning rate lr. */
    public void step(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("lr must be >= 0: " + lr);
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            Scalar oneMinusBeta2 = new Scalar(1 - beta2);
            for (int i = 0; i < expAvg.length; i++) {
                Tensor p = params.get(i);
                Tensor grad = p.grad();
                if (!grad.defined()) continue;
                p.mul_(new Scalar(1 - lr * weightDecay)); // decoupled decay: theta <- theta (1 - lr lambda)
                expAvg[i].lerp_(grad, new Scalar(1 - beta1)); // m <- beta1 m + (1 - beta1) g
                expAvgSq[i].mul_(new Scalar(beta2)).addcmul_(grad, grad, oneMinusBeta2); // v <- beta2 v + (1 - beta2) g^2
                // theta <- theta - lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
                Tensor denom = expAvgSq[i].sqrt().div_(new Scalar(Math.sqrt(bc2))).add_(new Scalar(eps));
                p.addcdiv_(expAvg[i], denom, new Scalar(-lr / bc1));
            }
        }
    }

    /** exp_avg.i, exp_avg_sq.i (i = parameter index) and step (int64 of shape [1]); copies. */
    public LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        try (NoGradScope g = new NoGradScope()) {
            for (int i = 0; i < expAvg.length; i++) {
                out.put("exp_avg." + i, expAvg[i].clone());
                out.put("exp_avg_sq." + i, expAvgSq[i].clone());
            }
        }
        out.put("step", HostTensors.fromLongs(new long[] {step}, 1));
        return out;
    }

    /** Restores a state written by {@link #stateDict()} for the same parameter list. */
    public void loadStateDict(Map<String, Tensor> state) {
        int expected = 2 * expAvg.length + 1;
        if (state.size() != expected) {
            throw new IllegalArgumentException("optimizer state has " + state.size() + " entries, expected " + expected
                    + " (for " + expAvg.length + " parameters)");
        }
        long restored = HostTensors.toLongs(required(state, "step", new long[] {1}))[0];
        if (restored < 0) throw new IllegalArgumentException("optimizer state 'step' is negative: " + restored);
        try (NoGradScope g = new NoGradScope()) {
            for (int i = 0; i < expAvg.length; i++) {
                Tensor m = required(state, "exp_avg." + i, HostTensors.shape(expAvg[i]));
                Tensor v = required(state, "exp_avg_sq." + i, HostTensors.shape(expAvgSq[i]));
                expAvg[i].copy_(m);
                expAvgSq[i].copy_(v);
            }
        }
        step = restored;
    }

    private static Tensor required(Map<String, Tensor> state, String key, long[] shape) {
        Tensor t = state.get(key);
        if (t == null) throw new IllegalArgumentException("optimizer state lacks '" + key + "'");
        if (!java.util.Arrays.equals(HostTensors.shape(t), shape)) {
            throw new IllegalArgumentException("optimizer state '" + key + "' has shape "
                    + java.util.Arrays.toString(HostTensors.shape(t)) + ", expected " + java.util.Arrays.toString(shape));
        }
        return t;
    }
}
