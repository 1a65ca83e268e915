package org.atdiff.objective;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Test-only denoiser: conv3x3 -> + timestep-embedding bias -> SiLU -> conv3x3, the convolutions through
 * {@link ConvolutionEngine} (a module's own forward would skip the engine self-check). The timestep enters through
 * sinusoidal features of t / T mapped by a linear layer to one bias per hidden channel. Labels are ignored.
 * Weights come from torch's generator seeded with {@code seed}; {@code dtype} Double serves finite differences.
 */
public final class TinyConvDenoiser implements TrainableDenoiser {
    private static final int FEATURES = 8;
    private static final long[] SAME_STRIDE = {1, 1}, SAME_PADDING = {1, 1};
    private final Module root = new Module();
    private final Conv2dImpl in, out;
    private final LinearImpl time;
    private final int hidden, timesteps;
    private final TensorVector paramVector;
    private final List<Tensor> params = new ArrayList<>();

    public TinyConvDenoiser(int channels, int hidden, int timesteps, long seed, ScalarType dtype) {
        this.hidden = hidden;
        this.timesteps = timesteps;
        torch.manual_seed(seed);
        in = root.register_module("in", new Conv2dImpl(conv(channels, hidden)));
        time = root.register_module("time", new LinearImpl(FEATURES, hidden));
        out = root.register_module("out", new Conv2dImpl(conv(hidden, channels)));
        root.to(dtype, false);
        paramVector = root.parameters();
        for (long i = 0; i < paramVector.size(); i++) params.add(new Tensor(paramVector.get(i)));
    }

    public TinyConvDenoiser(int channels, int hidden, int timesteps, long seed) {
        this(channels, hidden, timesteps, seed, ScalarType.Float);
    }

    private static Conv2dOptions conv(long inC, long outC) {
        Conv2dOptions o = new Conv2dOptions(inC, outC, new LongPointer(3L, 3L));
        o.padding().put(new LongPointer(1L, 1L));
        return o;
    }

    @Override
    public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
        float[] steps = HostTensors.toFloats(t);
        float[] f = new float[steps.length * FEATURES];
        for (int b = 0; b < steps.length; b++) {
            double s = steps[b] / timesteps;
            for (int k = 0; k < FEATURES / 2; k++) {
                double w = Math.PI * (1 << k) * s;
                f[b * FEATURES + 2 * k] = (float) Math.sin(w);
                f[b * FEATURES + 2 * k + 1] = (float) Math.cos(w);
            }
        }
        Tensor emb = time.forward(HostTensors.fromFloats(f, steps.length, FEATURES).to(x.scalar_type()));
        Tensor h = torch.silu(conv(in, x).add(emb.reshape(steps.length, hidden, 1, 1)));
        return conv(out, h);
    }

    /** The layer's 3x3 convolution on the path the engine self-check chose, as every model of atdiff computes it. */
    private static Tensor conv(Conv2dImpl layer, Tensor x) {
        return ConvolutionEngine.conv2d(x, layer.weight(), layer.bias(), SAME_STRIDE, SAME_PADDING);
    }

    @Override
    public List<Tensor> parameters() {
        return params;
    }

    @Override
    public LinkedHashMap<String, Tensor> stateDict() {
        StringTensorDict named = root.named_parameters();
        StringVector keys = named.keys();
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        for (long i = 0; i < keys.size(); i++) {
            String k = keys.get(i).getString();
            m.put(k, new Tensor(named.get(k)));
        }
        return m;
    }

    @Override
    public void train(boolean on) {
        root.train(on);
    }

    /** All weights flattened in parameter order (a copy). */
    public float[] weights() {
        float[] outArr = new float[(int) params.stream().mapToLong(Tensor::numel).sum()];
        int o = 0;
        for (Tensor p : params) {
            float[] w = HostTensors.toFloats(p.detach());
            System.arraycopy(w, 0, outArr, o, w.length);
            o += w.length;
        }
        return outArr;
    }
}
