package org.atdiff.nn;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The ADM U-Net epsilon-prediction network (Ho et al. 2020; Nichol and Dhariwal 2021, improved-diffusion
 * unet.py; Dhariwal and Nichol 2021): sinusoidal timestep embedding and MLP, optional class embedding added to
 * it, residual blocks with scale-shift norm, self-attention at chosen resolutions, strided-conv downsampling,
 * a middle block (Res, Attn, Res), an up path over concatenated skip connections with {@code resBlocks + 1}
 * blocks per level, nearest + conv upsampling, and a zero-initialised output convolution. With
 * {@code resblockUpdown} (guided-diffusion) residual blocks that resample inside them replace the strided
 * convolutions and the upsampling layers; {@code attentionOrder} picks the qkv layout.
 *
 * <p>Weights are initialised from {@link RandomStream} (seed {@code seed}), so replicas built with the same seed
 * are bit-identical. Parameter names and shapes follow improved-diffusion (e.g. {@code input_blocks.0.0.weight}).
 * Build it outside any {@code PointerScope} that closes before the model is done with (its weights are retained,
 * so a scope does not free them, but they are then only freed by the garbage collector).
 */
public final class UNet implements TrainableDenoiser {
    private final UNetConfig config;
    private final long seed;
    private final ScalarType dtype;
    private final LinkedHashMap<String, Tensor> params;
    private final SinusoidalEmbedding timeFeatures;
    private final LinearLayer timeIn;
    private final LinearLayer timeOut;
    private final Tensor labelEmbedding;
    private final List<List<TimestepBlock>> inputBlocks = new ArrayList<>();
    private final List<TimestepBlock> middleBlock = new ArrayList<>();
    private final List<List<TimestepBlock>> outputBlocks = new ArrayList<>();
    private final GroupNormLayer outNorm;
    private final ConvLayer outConv;
    private final DropoutMasks dropout;

    /** A float32 U-Net with weights drawn from {@code seed}. */
    public UNet(UNetConfig config, long seed) {
        this(config, seed, ScalarType.Float);
    }

    /** A U-Net in {@code dtype} (Float or Double) with weights drawn from {@code seed}. */
    public UNet(UNetConfig config, long seed, ScalarType dtype) {
        this(config, seed, dtype, true);
    }

    private UNet(UNetConfig config, long seed, ScalarType dtype, boolean initialise) {
        if (config == null) throw new IllegalArgumentException("UNet config is null");
        dtype = dtype.intern(); // ScalarTypes returned by natives are not the canonical enum constants
        if (dtype != ScalarType.Float && dtype != ScalarType.Double) {
            throw new IllegalArgumentException("UNet dtype must be Float or Double, got " + dtype);
        }
        this.config = config;
        this.seed = seed;
        this.dtype = dtype;
        RandomStream root = new RandomStream(seed);
        ParameterStore store = new ParameterStore(initialise ? root.derive(0) : null, dtype);
        dropout = new DropoutMasks(root.derive(1));

        int base = config.baseChannels();
        int embDim = 4 * base;
        int[] mult = config.channelMult();
        int[] res = config.resolutions();
        double p = config.dropout();
        int heads = config.headChannels();
        UNetConfig.AttentionOrder order = config.attentionOrder();

        timeFeatures = new SinusoidalEmbedding(base, dtype);
        timeIn = new LinearLayer(store, "time_embed.0", base, embDim);
        timeOut = new LinearLayer(store, "time_embed.2", embDim, embDim);
        labelEmbedding = config.numClasses() > 0 ? store.normal("label_emb.weight", config.numClasses(), embDim) : null;

        ConvLayer inConv = new ConvLayer(store, "input_blocks.0.0", config.inChannels(), base, 3, 1, false);
        inputBlocks.add(List.of((x, e) -> inConv.forward(x)));
        List<Integer> skipChannels = new ArrayList<>(List.of(base));
        int ch = base;
        for (int level = 0; level < mult.length; level++) {
            for (int i = 0; i < config.resBlocks(); i++) {
                String name = "input_blocks." + inputBlocks.size();
                List<TimestepBlock> blocks = new ArrayList<>();
                blocks.add(new ResBlock(store, name + ".0", ch, mult[level] * base, embDim, p, dropout));
                ch = mult[level] * base;
                if (config.attentionAt(res[level])) blocks.add(new AttentionBlock(store, name + ".1", ch, heads, order));
                inputBlocks.add(blocks);
                skipChannels.add(ch);
            }
            if (level < mult.length - 1) {
                String name = "input_blocks." + inputBlocks.size() + ".0";
                inputBlocks.add(List.of(config.resblockUpdown()
                        ? new ResBlock(store, name, ch, ch, embDim, p, dropout, ResBlock.Resample.DOWN)
                        : new Downsample(store, name, ch)));
                skipChannels.add(ch);
            }
        }
        middleBlock.add(new ResBlock(store, "middle_block.0", ch, ch, embDim, p, dropout));
        middleBlock.add(new AttentionBlock(store, "middle_block.1", ch, heads, order));
        middleBlock.add(new ResBlock(store, "middle_block.2", ch, ch, embDim, p, dropout));
        for (int level = mult.length - 1; level >= 0; level--) {
            for (int i = 0; i <= config.resBlocks(); i++) {
                String name = "output_blocks." + outputBlocks.size();
                List<TimestepBlock> blocks = new ArrayList<>();
                int skip = skipChannels.remove(skipChannels.size() - 1);
                blocks.add(new ResBlock(store, name + ".0", ch + skip, mult[level] * base, embDim, p, dropout));
                ch = mult[level] * base;
                if (config.attentionAt(res[level])) {
                    blocks.add(new AttentionBlock(store, name + "." + blocks.size(), ch, heads, order));
                }
                if (level > 0 && i == config.resBlocks()) {
                    String up = name + "." + blocks.size();
                    blocks.add(config.resblockUpdown()
                            ? new ResBlock(store, up, ch, ch, embDim, p, dropout, ResBlock.Resample.UP)
                            : new Upsample(store, up, ch));
                }
                outputBlocks.add(blocks);
            }
        }
        outNorm = new GroupNormLayer(store, "out.0", ch);
        outConv = new ConvLayer(store, "out.2", ch, config.outChannels(), 3, 1, true);
        params = store.parameters();
    }

    /**
     * eps_theta(x, t, y): the first C output channels (all of them unless the network learns its variance). Checks
     * shapes and dtypes and names the offending input.
     *
     * @param x      [B, inChannels, imageSize, imageSize] in this model's dtype
     * @param t      [B] timesteps (floating, may be fractional)
     * @param labels [B] long class labels in [0, numClasses) when class-conditional, otherwise null
     */
    @Override
    public Tensor predictNoise(Tensor x, Tensor t, Tensor labels) {
        Tensor out = forward(x, t, labels);
        return config.learnSigma() ? out.narrow(1, 0, config.inChannels()) : out;
    }

    /** eps_theta and, with {@code learnSigma}, v: the output's channels [0, C) and [C, 2C) (improved-diffusion's split). */
    @Override
    public DenoiserOutput predict(Tensor x, Tensor t, Tensor labels) {
        Tensor out = forward(x, t, labels);
        if (!config.learnSigma()) return DenoiserOutput.fixedVariance(out);
        int c = config.inChannels();
        return new DenoiserOutput(out.narrow(1, 0, c), out.narrow(1, c, c));
    }

    /** The raw network output, [B, outChannels, imageSize, imageSize]. */
    private Tensor forward(Tensor x, Tensor t, Tensor labels) {
        checkInputs(x, t, labels);
        dropout.beginForward();
        Tensor emb = timeOut.forward(torch.silu(timeIn.forward(timeFeatures.forward(t))));
        if (labelEmbedding != null) emb = emb.add(torch.embedding(labelEmbedding, labels));
        Tensor embAct = torch.silu(emb); // every ResBlock's emb_layers start with SiLU: computed once here
        Deque<Tensor> skips = new ArrayDeque<>();
        Tensor h = x;
        for (List<TimestepBlock> blocks : inputBlocks) {
            for (TimestepBlock b : blocks) h = b.forward(h, embAct);
            skips.push(h);
        }
        for (TimestepBlock b : middleBlock) h = b.forward(h, embAct);
        for (List<TimestepBlock> blocks : outputBlocks) {
            h = torch.cat(new TensorVector(h, skips.pop()), 1);
            for (TimestepBlock b : blocks) h = b.forward(h, embAct);
        }
        return outConv.forward(torch.silu(outNorm.forward(h)));
    }

    /** Trainable parameters in construction order (the order of {@link #stateDict()}), identical on every replica. */
    @Override
    public List<Tensor> parameters() {
        return List.copyOf(params.values());
    }

    /** Parameter names (improved-diffusion's) to the live parameter tensors, in a fixed order. */
    @Override
    public LinkedHashMap<String, Tensor> stateDict() {
        return new LinkedHashMap<>(params);
    }

    /** Training mode turns dropout on; masks are drawn from {@link #dropoutStream()}. */
    @Override
    public void train(boolean on) {
        dropout.train(on);
    }

    public boolean training() {
        return dropout.training();
    }

    /**
     * A snapshot of the stream dropout masks are drawn from (one draw per forward pass in training mode), for
     * checkpoints. Defaults to {@code new RandomStream(seed).derive(1)}.
     */
    public RandomStream dropoutStream() {
        RandomStream s = dropout.stream();
        return new RandomStream(s.seed(), s.counter());
    }

    /** Continues dropout from a copy of {@code stream}, e.g. a per-rank {@code derive(rank)} or a restored state. */
    public void dropoutStream(RandomStream stream) {
        if (stream == null) throw new IllegalArgumentException("dropout stream is null");
        dropout.stream(new RandomStream(stream.seed(), stream.counter()));
    }

    public UNetConfig config() {
        return config;
    }

    public ScalarType dtype() {
        return dtype;
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor p : params.values()) n += p.numel();
        return n;
    }

    /** A copy of this model in {@code dtype} (Float or Double), e.g. double precision for gradient checks. */
    public UNet to(ScalarType dtype) {
        UNet copy = new UNet(config, seed, dtype, false);
        copy.loadStateDict(params);
        copy.train(training());
        copy.dropoutStream(dropoutStream());
        return copy;
    }

    /** A double-precision copy of this model. */
    public UNet toDouble() {
        return to(ScalarType.Double);
    }

    /** Copies all weights of {@code other} (same architecture) into this model, in place. */
    public void copyWeightsFrom(UNet other) {
        loadStateDict(other.params);
    }

    /**
     * Copies {@code state} into this model's parameters in place (without recording gradients), converting the
     * dtype if needed. Nothing is copied unless the names match exactly and every shape agrees.
     *
     * @throws IllegalArgumentException naming the missing, unexpected or mis-shaped tensors
     */
    public void loadStateDict(Map<String, Tensor> state) {
        StateDictCopy.copy(params, state, "UNet " + config);
    }

    /** Number of parameters of a U-Net with {@code config} (builds it with zero weights, no random draws). */
    public static long parameterCount(UNetConfig config) {
        return new UNet(config, 0, ScalarType.Float, false).parameterCount();
    }

    /** One line: configuration and parameter count. */
    public String describe() {
        return String.format("UNet %s: %,d parameters", config, parameterCount());
    }

    /** One {@link #describe()} line per preset for images of the given size (presets that reject it say why). */
    public static List<String> describePresets(int imageSize, int channels) {
        List<String> lines = new ArrayList<>();
        for (String name : UNetConfig.PRESETS) {
            try {
                lines.add(new UNet(UNetConfig.preset(name, imageSize, channels), 0, ScalarType.Float, false).describe());
            } catch (IllegalArgumentException e) {
                lines.add("UNet " + name + ": " + e.getMessage());
            }
        }
        return lines;
    }

    private void checkInputs(Tensor x, Tensor t, Tensor labels) {
        if (x == null) throw new IllegalArgumentException("x is null");
        if (t == null) throw new IllegalArgumentException("t is null");
        long[] xs = HostTensors.shape(x);
        int size = config.imageSize();
        if (xs.length != 4 || xs[1] != config.inChannels() || xs[2] != size || xs[3] != size) {
            throw new IllegalArgumentException("x has shape " + Arrays.toString(xs) + ", expected [B, "
                    + config.inChannels() + ", " + size + ", " + size + "]");
        }
        if (x.scalar_type().intern() != dtype) {
            throw new IllegalArgumentException("x has dtype " + x.scalar_type() + " but the model is " + dtype);
        }
        long b = xs[0];
        if (t.dim() != 1 || t.size(0) != b) {
            throw new IllegalArgumentException("t has shape " + Arrays.toString(HostTensors.shape(t))
                    + ", expected [" + b + "]");
        }
        if (!torch.isFloatingType(t.scalar_type())) {
            throw new IllegalArgumentException("t must be a floating tensor, got " + t.scalar_type());
        }
        if (config.numClasses() == 0) {
            if (labels != null) {
                throw new IllegalArgumentException("labels were given to an unconditional UNet (numClasses = 0)");
            }
            return;
        }
        if (labels == null) {
            throw new IllegalArgumentException("labels are required: the UNet is conditioned on "
                    + config.numClasses() + " classes");
        }
        if (labels.dim() != 1 || labels.size(0) != b || labels.scalar_type().intern() != ScalarType.Long) {
            throw new IllegalArgumentException("labels must be a long tensor of shape [" + b + "], got "
                    + labels.scalar_type() + " " + Arrays.toString(HostTensors.shape(labels)));
        }
        for (long y : HostTensors.toLongs(labels)) {
            if (y < 0 || y >= config.numClasses()) {
                throw new IllegalArgumentException("label " + y + " is outside [0, " + config.numClasses() + ")");
            }
        }
    }
}
