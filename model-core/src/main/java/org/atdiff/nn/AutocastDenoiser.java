package org.atdiff.nn;

import java.util.LinkedHashMap;
import java.util.List;
import org.atdiff.tensor.AutocastScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Mixed-precision training of a float32 model (Micikevicius et al., "Mixed Precision Training", ICLR 2018, with
 * bfloat16 instead of float16, so no loss scaling): the forward pass runs under CPU autocast ({@link AutocastScope}),
 * its output is cast back to float32 for the loss, and the backward pass accumulates float32 gradients into the
 * wrapped model's float32 master weights. Parameters, state dict and train mode are the wrapped model's, so the
 * optimizer state and EMA stay float32.
 */
public final class AutocastDenoiser implements TrainableDenoiser {
    private final TrainableDenoiser model;
    private final ScalarType dtype;

    /** @param dtype the compute precision of the forward pass (BFloat16) */
    public AutocastDenoiser(TrainableDenoiser model, ScalarType dtype) {
        if (model == null) throw new IllegalArgumentException("model is null");
        if (dtype == null || dtype.intern() != ScalarType.BFloat16) {
            throw new IllegalArgumentException("autocast dtype must be BFloat16, got " + dtype);
        }
        this.model = model;
        this.dtype = dtype.intern();
    }

    /** The wrapped float32 model (the master weights). */
    public TrainableDenoiser model() {
        return model;
    }

    public ScalarType dtype() {
        return dtype;
    }

    @Override
    public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
        Tensor out;
        try (AutocastScope autocast = AutocastScope.on(dtype)) {
            out = model.predictNoise(x, t, labels);
        }
        return out.to(x.scalar_type()); // the loss is computed in the input's precision (float32)
    }

    @Override
    public DenoiserOutput predict(Tensor x, Tensor t, Tensor labels) {
        DenoiserOutput out;
        try (AutocastScope autocast = AutocastScope.on(dtype)) {
            out = model.predict(x, t, labels);
        }
        return new DenoiserOutput(out.eps().to(x.scalar_type()), out.learnsVariance() ? out.v().to(x.scalar_type()) : null);
    }

    @Override
    public List<Tensor> parameters() {
        return model.parameters();
    }

    @Override
    public LinkedHashMap<String, Tensor> stateDict() {
        return model.stateDict();
    }

    @Override
    public void train(boolean on) {
        model.train(on);
    }
}
