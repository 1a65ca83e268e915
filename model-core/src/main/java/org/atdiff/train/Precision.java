package org.atdiff.train;

import org.atdiff.nn.AutocastDenoiser;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.settings.SettingChecks;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The compute precision of training ({@code train.precision}): {@code fp32}, or {@code bf16} mixed precision, in which
 * the forward and backward matrix products run in bfloat16 while master weights, gradients and optimizer state stay
 * float32 ({@link AutocastDenoiser}).
 */
public enum Precision {
    FP32,
    BF16;

    /** The configuration value of this precision. */
    public String key() {
        return SettingChecks.configName(this);
    }

    /** The precision with configuration value {@code name}. */
    public static Precision named(String name) {
        return SettingChecks.choice("train.precision", name, values(), Precision::key);
    }

    /** The model to hand the training objective: {@code model} itself for fp32, an autocast wrapper for bf16. */
    public TrainableDenoiser apply(TrainableDenoiser model) {
        return this == FP32 ? model : new AutocastDenoiser(model, ScalarType.BFloat16);
    }
}
