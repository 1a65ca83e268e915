package org.atdiff.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Creates a network's parameters by name, in construction order, and initialises each from its own stream
 * {@code init.derive(index)}: the same seed gives bit-identical weights on every replica. Parameters are
 * leaf tensors with requires_grad, retained so that a caller's PointerScope cannot free them.
 */
final class ParameterStore {
    private final LinkedHashMap<String, Tensor> params = new LinkedHashMap<>();
    private final RandomStream init;
    private final ScalarType dtype;

    /** @param init the seed stream, or null to create every parameter as zeros (a copy target) */
    ParameterStore(RandomStream init, ScalarType dtype) {
        this.init = init;
        this.dtype = dtype;
    }

    ScalarType dtype() {
        return dtype;
    }

    /** PyTorch's default for conv and linear layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
    Tensor uniform(String name, int fanIn, long... shape) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return create(name, shape, s -> 2 * bound * s.nextUniform() - bound);
    }

    /** N(0, 1), PyTorch's default for embeddings. */
    Tensor normal(String name, long... shape) {
        return create(name, shape, null);
    }

    Tensor zeros(String name, long... shape) {
        return create(name, shape, s -> 0.0);
    }

    Tensor ones(String name, long... shape) {
        return create(name, shape, s -> 1.0);
    }

    LinkedHashMap<String, Tensor> parameters() {
        return params;
    }

    private Tensor create(String name, long[] shape, java.util.function.ToDoubleFunction<RandomStream> draw) {
        if (params.containsKey(name)) throw new IllegalStateException("duplicate parameter name " + name);
        Tensor t;
        if (init == null) {
            t = torch.empty(shape, new TensorOptions(dtype), null);
            t.zero_();
        } else {
            int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            double[] values = new double[n];
            RandomStream s = init.derive(params.size());
            if (draw == null) {
                float[] g = s.gaussians(n);
                for (int i = 0; i < n; i++) values[i] = g[i];
            } else {
                for (int i = 0; i < n; i++) values[i] = draw.applyAsDouble(s);
            }
            t = HostTensors.fromDoubles(values, shape);
            if (dtype != ScalarType.Double) t = t.to(dtype);
        }
        t.set_requires_grad(true);
        t.retainReference();
        params.put(name, t);
        return t;
    }
}
