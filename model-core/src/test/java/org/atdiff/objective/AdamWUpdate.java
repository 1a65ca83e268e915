package org.atdiff.objective;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.NoGradScope;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/** A single-process {@link ParameterUpdate} for tests: AdamW step, zero gradients; records the losses it saw. */
public final class AdamWUpdate implements ParameterUpdate {
    private final List<Tensor> params;
    private final AdamW optimizer;
    private final double lr;
    public final List<Double> losses = new ArrayList<>();

    public AdamWUpdate(TrainableDenoiser model, double lr) {
        this.params = model.parameters();
        this.optimizer = new AdamW(params, 0.0);
        this.lr = lr;
    }

    @Override
    public void apply(double loss) {
        losses.add(loss);
        optimizer.step(lr);
        zero(params);
    }

    public static void zero(List<Tensor> params) {
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            for (Tensor p : params) if (p.grad().defined()) p.grad().zero_();
        }
    }
}
