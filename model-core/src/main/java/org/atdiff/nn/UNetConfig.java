package org.atdiff.nn;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.inRange;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.atdiff.settings.SettingChecks;

/**
 * Hyper-parameters of the ADM U-Net (Dhariwal and Nichol 2021; Nichol and Dhariwal 2021), validated on construction.
 *
 * <p>Supported image sizes: the U-Net halves the resolution {@code channelMult.length - 1} times, so
 * {@code imageSize} must be divisible by {@code 2^(channelMult.length - 1)}: any even size for {@code tiny}
 * (two levels, e.g. 8, 28, 32), multiples of 4 for {@code small} (e.g. 28, 32), multiples of 8 for
 * {@code cifar10-adm} (e.g. 32; not 28).
 *
 * @param preset               name of the preset this configuration came from (for summaries only)
 * @param inChannels           image channels C (the network predicts epsilon with C channels)
 * @param imageSize            height = width of the images
 * @param baseChannels         channels at the first level ("model_channels")
 * @param channelMult          channel multiplier per level; one level per entry
 * @param resBlocks            residual blocks per level on the way down (one more on the way up)
 * @param attentionResolutions resolutions in pixels (e.g. 16, 8) at which self-attention follows each block
 * @param headChannels         channels per attention head
 * @param dropout              dropout probability inside residual blocks
 * @param numClasses           number of classes for label conditioning; 0 = unconditional
 * @param learnSigma           whether the network also outputs the variance interpolation v (2C output channels:
 *                             eps, then v; Nichol and Dhariwal 2021, sec. 3.1), see
 *                             {@link org.atdiff.diffusion.LearnedVariance}
 * @param resblockUpdown       whether residual blocks that average-pool or nearest-upsample inside them change the
 *                             resolution (guided-diffusion's resblock_updown; Dhariwal and Nichol 2021, sec. 3) instead
 *                             of a stride-2 convolution and a nearest + conv upsampling layer (improved-diffusion's)
 * @param attentionOrder       how the qkv projection's channels are split into q, k, v and heads
 */
public record UNetConfig(String preset, int inChannels, int imageSize, int baseChannels, int[] channelMult,
        int resBlocks, int[] attentionResolutions, int headChannels, double dropout, int numClasses,
        boolean learnSigma, boolean resblockUpdown, AttentionOrder attentionOrder) implements Serializable {

    /** The preset names {@link #preset(String, int, int)} accepts. */
    public static final List<String> PRESETS = List.of("tiny", "small", "cifar10-adm", "cifar10-iddpm");

    /**
     * How an attention block reads q, k and v of each head from its 3C qkv channels (config key model.attention-order).
     * Both compute softmax(q^T k / sqrt(d)) v per head; only the channel layout, and so the meaning of the weights,
     * differs.
     */
    public enum AttentionOrder {
        /** [q_1, k_1, v_1, q_2, k_2, v_2, ...]: split the heads, then q, k, v (improved-diffusion; guided-diffusion's QKVAttentionLegacy). */
        HEADS_FIRST,
        /** [q_1, q_2, ..., k_1, k_2, ..., v_1, ...]: split q, k, v, then the heads (guided-diffusion's QKVAttention, use_new_attention_order). */
        QKV_FIRST;

        /** The name used in configuration and model specs. */
        public String key() {
            return SettingChecks.configName(this);
        }

        /** The order called {@code key}; the error names model.attention-order and the valid values. */
        public static AttentionOrder named(String key) {
            return SettingChecks.choice("model.attention-order", key, values(), AttentionOrder::key);
        }
    }

    /** Largest number of GroupNorm groups (ADM's GroupNorm32). */
    public static final int MAX_GROUPS = 32;

    public UNetConfig {
        channelMult = channelMult == null ? null : channelMult.clone();
        attentionResolutions = attentionResolutions == null ? new int[0] : attentionResolutions.clone();
        if (attentionOrder == null) throw new IllegalArgumentException("model attention order is null");
        validate(preset, inChannels, imageSize, baseChannels, channelMult, resBlocks, attentionResolutions,
                headChannels, dropout, numClasses);
    }

    /** A configuration with improved-diffusion's layout (convolution resampling, heads-first attention). */
    public UNetConfig(String preset, int inChannels, int imageSize, int baseChannels, int[] channelMult, int resBlocks,
                      int[] attentionResolutions, int headChannels, double dropout, int numClasses, boolean learnSigma) {
        this(preset, inChannels, imageSize, baseChannels, channelMult, resBlocks, attentionResolutions, headChannels,
                dropout, numClasses, learnSigma, false, AttentionOrder.HEADS_FIRST);
    }

    /** A configuration with improved-diffusion's layout whose network predicts epsilon only (C output channels). */
    public UNetConfig(String preset, int inChannels, int imageSize, int baseChannels, int[] channelMult, int resBlocks,
                      int[] attentionResolutions, int headChannels, double dropout, int numClasses) {
        this(preset, inChannels, imageSize, baseChannels, channelMult, resBlocks, attentionResolutions, headChannels,
                dropout, numClasses, false);
    }

    /**
     * A named preset for images of {@code imageSize} x {@code imageSize} with {@code channels} channels,
     * unconditional. Attention resolutions are given by downsampling factor, so they follow the image size:
     * <ul>
     *   <li>{@code tiny} (tests): base 32, mult 1,2, 1 res block, attention at imageSize/2, 32 head channels, no dropout;</li>
     *   <li>{@code small} (CPU default for 32x32): base 64, mult 1,2,2, 2 res blocks, attention at imageSize/4,
     *       32 head channels, dropout 0.1;</li>
     *   <li>{@code cifar10-adm} (the network of Wang et al. 2025, guided-diffusion's U-Net with their CIFAR-10
     *       flags): base 128, mult 1,2,2,2, 3 res blocks, attention at imageSize/2 and imageSize/4 (16 and 8 for
     *       32x32), 32 head channels, qkv-first attention, resblock up/down-sampling, dropout 0.3, learned variance;</li>
     *   <li>{@code cifar10-iddpm} (improved-diffusion's CIFAR-10 model, Nichol and Dhariwal 2021): as cifar10-adm
     *       but with convolution resampling, heads-first attention and 64 head channels (its 4 heads over 256
     *       channels).</li>
     * </ul>
     * Both CIFAR-10 presets were trained with the cosine schedule ({@code ModelSpec.presetSchedule} in the diffusion package).
     */
    public static UNetConfig preset(String name, int imageSize, int channels) {
        if (name == null) throw new IllegalArgumentException("model preset is null; valid presets: " + PRESETS);
        return switch (name) {
            case "tiny" -> new UNetConfig(name, channels, imageSize, 32, new int[] {1, 2}, 1,
                    new int[] {imageSize / 2}, 32, 0.0, 0);
            case "small" -> new UNetConfig(name, channels, imageSize, 64, new int[] {1, 2, 2}, 2,
                    new int[] {imageSize / 4}, 32, 0.1, 0);
            case "cifar10-adm" -> new UNetConfig(name, channels, imageSize, 128, new int[] {1, 2, 2, 2}, 3,
                    new int[] {imageSize / 2, imageSize / 4}, 32, 0.3, 0, true, true, AttentionOrder.QKV_FIRST);
            case "cifar10-iddpm" -> new UNetConfig(name, channels, imageSize, 128, new int[] {1, 2, 2, 2}, 3,
                    new int[] {imageSize / 2, imageSize / 4}, 64, 0.3, 0, true, false, AttentionOrder.HEADS_FIRST);
            default -> throw new IllegalArgumentException(
                    "unknown model preset '" + name + "'; valid presets: " + PRESETS);
        };
    }

    /**
     * This configuration with individual fields replaced (config keys model.base-channels, model.channel-mult,
     * model.res-blocks, model.attention-resolutions, model.head-channels, model.dropout). A value of 0, an empty
     * or null array, or a negative dropout keeps this configuration's value.
     */
    public UNetConfig withOverrides(int baseChannels, int[] channelMult, int resBlocks, int[] attentionResolutions,
            int headChannels, double dropout) {
        return new UNetConfig(preset, inChannels,
                imageSize,
                baseChannels != 0 ? baseChannels : this.baseChannels,
                channelMult != null && channelMult.length > 0 ? channelMult : this.channelMult,
                resBlocks != 0 ? resBlocks : this.resBlocks,
                attentionResolutions != null && attentionResolutions.length > 0
                        ? attentionResolutions : this.attentionResolutions,
                headChannels != 0 ? headChannels : this.headChannels,
                dropout >= 0 ? dropout : this.dropout,
                numClasses, learnSigma, resblockUpdown, attentionOrder);
    }

    /** This configuration conditioned on {@code numClasses} labels (0 = unconditional). */
    public UNetConfig withNumClasses(int numClasses) {
        return new UNetConfig(preset, inChannels, imageSize, baseChannels, channelMult, resBlocks,
                attentionResolutions, headChannels, dropout, numClasses, learnSigma, resblockUpdown, attentionOrder);
    }

    /**
     * This configuration with the learned variance output, resblock up/down-sampling and attention channel order
     * replaced (config keys model.learn-sigma, model.resblock-updown, model.attention-order); null keeps a value.
     */
    public UNetConfig withLayout(Boolean learnSigma, Boolean resblockUpdown, AttentionOrder attentionOrder) {
        return new UNetConfig(preset, inChannels, imageSize, baseChannels, channelMult, resBlocks, attentionResolutions,
                headChannels, dropout, numClasses, learnSigma != null ? learnSigma : this.learnSigma,
                resblockUpdown != null ? resblockUpdown : this.resblockUpdown,
                attentionOrder != null ? attentionOrder : this.attentionOrder);
    }

    /** This configuration with (or without) the learned variance output. */
    public UNetConfig withLearnSigma(boolean learnSigma) {
        return withLayout(learnSigma, null, null);
    }

    /** Channels of the network's output: C (eps), or 2C (eps, v) when it learns its variance. */
    public int outChannels() {
        return learnSigma ? 2 * inChannels : inChannels;
    }

    @Override
    public int[] channelMult() {
        return channelMult.clone();
    }

    @Override
    public int[] attentionResolutions() {
        return attentionResolutions.clone();
    }

    /** Number of resolution levels. */
    public int levels() {
        return channelMult.length;
    }

    /** The resolutions the U-Net works at, from the input size down. */
    public int[] resolutions() {
        return resolutions(imageSize, channelMult.length);
    }

    /** Whether self-attention follows the blocks at resolution {@code resolution}. */
    public boolean attentionAt(int resolution) {
        for (int r : attentionResolutions) if (r == resolution) return true;
        return false;
    }

    /** GroupNorm groups for {@code channels}: min(32, channels) (ADM's normalization with 32 groups). */
    public static int groups(int channels) {
        return Math.min(MAX_GROUPS, channels);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UNetConfig c && preset.equals(c.preset) && inChannels == c.inChannels
                && imageSize == c.imageSize && baseChannels == c.baseChannels
                && Arrays.equals(channelMult, c.channelMult) && resBlocks == c.resBlocks
                && Arrays.equals(attentionResolutions, c.attentionResolutions) && headChannels == c.headChannels
                && Double.compare(dropout, c.dropout) == 0 && numClasses == c.numClasses && learnSigma == c.learnSigma
                && resblockUpdown == c.resblockUpdown && attentionOrder == c.attentionOrder;
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hash(preset, inChannels, imageSize, baseChannels, resBlocks, headChannels,
                dropout, numClasses, learnSigma, resblockUpdown, attentionOrder) + 17 * Arrays.hashCode(channelMult) + Arrays.hashCode(attentionResolutions);
    }

    @Override
    public String toString() {
        return preset + " " + imageSize + "x" + imageSize + "x" + inChannels + " (base " + baseChannels
                + ", mult " + Arrays.toString(channelMult) + ", " + resBlocks + " res blocks, attention at "
                + Arrays.toString(attentionResolutions) + ", " + headChannels + " head channels, "
                + attentionOrder.key() + " attention, " + (resblockUpdown ? "resblock" : "conv") + " resampling, dropout "
                + dropout
                + (numClasses > 0 ? ", " + numClasses + " classes" : ", unconditional")
                + (learnSigma ? ", learned variance" : "") + ")";
    }

    private static int[] resolutions(int imageSize, int levels) {
        int[] r = new int[levels];
        for (int l = 0; l < levels; l++) r[l] = imageSize >> l;
        return r;
    }

    private static void validate(String preset, int inChannels, int imageSize, int baseChannels, int[] channelMult,
            int resBlocks, int[] attentionResolutions, int headChannels, double dropout, int numClasses) {
        if (preset == null || preset.isEmpty()) throw new IllegalArgumentException("model preset name is empty");
        atLeast("model in-channels", inChannels, 1);
        atLeast("model image-size", imageSize, 1);
        atLeast("model.base-channels", baseChannels, 1);
        if (baseChannels % 2 != 0) {
            throw new IllegalArgumentException("model.base-channels must be even (sinusoidal embedding), got "
                    + baseChannels);
        }
        if (channelMult == null || channelMult.length == 0) {
            throw new IllegalArgumentException("model.channel-mult must list at least one level");
        }
        for (int m : channelMult) {
            if (m <= 0) throw new IllegalArgumentException("model.channel-mult entries must be positive, got "
                    + Arrays.toString(channelMult));
        }
        atLeast("model.res-blocks", resBlocks, 1);
        atLeast("model.head-channels", headChannels, 1);
        inRange("model.dropout", dropout, 0, 1, true);
        atLeast("number of classes", numClasses, 0);
        int factor = 1 << (channelMult.length - 1);
        if (imageSize % factor != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " is not supported by model.channel-mult "
                    + Arrays.toString(channelMult) + ": it must be divisible by " + factor + " (2^(levels-1))");
        }
        int[] res = resolutions(imageSize, channelMult.length);
        for (int r : attentionResolutions) {
            if (Arrays.stream(res).noneMatch(x -> x == r)) {
                throw new IllegalArgumentException("model.attention-resolutions entry " + r + " is never reached: "
                        + "for image size " + imageSize + " this U-Net works at resolutions " + Arrays.toString(res));
            }
        }
        // Walk the channel plan of UNet's constructor (ADM's unet.py) and check every GroupNorm and attention.
        Set<Integer> normChannels = new LinkedHashSet<>();
        Set<Integer> attentionChannels = new LinkedHashSet<>();
        List<Integer> skips = new ArrayList<>();
        int ch = baseChannels;
        skips.add(ch);
        for (int level = 0; level < channelMult.length; level++) {
            for (int i = 0; i < resBlocks; i++) {
                normChannels.add(ch);
                ch = channelMult[level] * baseChannels;
                normChannels.add(ch);
                if (contains(attentionResolutions, res[level])) attentionChannels.add(ch);
                skips.add(ch);
            }
            if (level < channelMult.length - 1) skips.add(ch);
        }
        normChannels.add(ch);
        attentionChannels.add(ch); // the middle block always attends
        for (int level = channelMult.length - 1; level >= 0; level--) {
            for (int i = 0; i <= resBlocks; i++) {
                normChannels.add(ch + skips.remove(skips.size() - 1));
                ch = channelMult[level] * baseChannels;
                normChannels.add(ch);
                if (contains(attentionResolutions, res[level])) attentionChannels.add(ch);
            }
        }
        attentionChannels.forEach(normChannels::add);
        for (int c : normChannels) {
            if (c % groups(c) != 0) {
                throw new IllegalArgumentException("GroupNorm over " + c + " channels needs a multiple of "
                        + MAX_GROUPS + " channels; choose model.base-channels (" + baseChannels
                        + ") and model.channel-mult " + Arrays.toString(channelMult) + " accordingly");
            }
        }
        for (int c : attentionChannels) {
            if (c % headChannels != 0) {
                throw new IllegalArgumentException("attention over " + c + " channels is not divisible into heads of "
                        + "model.head-channels = " + headChannels);
            }
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }
}
