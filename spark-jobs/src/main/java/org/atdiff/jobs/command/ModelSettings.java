package org.atdiff.jobs.command;

import com.typesafe.config.Config;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.nn.UNetConfig;

/** Maps the {@code model.*} and {@code diffusion.*} configuration keys to a {@link ModelSpec}. */
public final class ModelSettings {
    /** The class count to pass before the dataset exists: a class-conditional model's count is checked later. */
    public static final int CLASSES_UNKNOWN = -1;

    private ModelSettings() {}

    /**
     * @param imageSize  side of the dataset's images
     * @param channels   channels of the dataset's images
     * @param numClasses number of classes of the dataset (used only when model.class-conditional is true), or
     *                   {@link #CLASSES_UNKNOWN} (then the spec is unconditional: for checks before the dataset exists)
     */
    public static ModelSpec fromConfig(Config c, int imageSize, int channels, int numClasses) {
        return read(new SettingsReader(c), imageSize, channels, numClasses);
    }

    /** As {@link #fromConfig}, recording the paths read in {@code c}. */
    public static ModelSpec read(SettingsReader c, int imageSize, int channels, int numClasses) {
        UNetConfig unet;
        String preset = c.string("model.preset");
        try {
            unet = UNetConfig.preset(preset, imageSize, channels).withOverrides(
                    c.integer("model.base-channels"), c.intArray("model.channel-mult"), c.integer("model.res-blocks"),
                    c.intArray("model.attention-resolutions"), c.integer("model.head-channels"), c.number("model.dropout"));
            String order = c.string("model.attention-order");
            unet = unet.withLayout(presetOrBoolean(c, "model.learn-sigma"), presetOrBoolean(c, "model.resblock-updown"),
                    order.isEmpty() ? null : UNetConfig.AttentionOrder.named(order));
            if (c.bool("model.class-conditional") && numClasses != CLASSES_UNKNOWN) {
                if (numClasses < 2) {
                    throw new IllegalArgumentException("model.class-conditional is true but the dataset has "
                            + numClasses + " label(s)");
                }
                unet = unet.withNumClasses(numClasses);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model: " + e.getMessage(), e);
        }
        String schedule = c.string("diffusion.schedule");
        try {
            return new ModelSpec(unet, schedule.isEmpty() ? ModelSpec.presetSchedule(preset) : schedule,
                    c.integer("diffusion.timesteps"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("diffusion.schedule / diffusion.timesteps: " + e.getMessage(), e);
        }
    }

    /** A key that is "" (the preset's value), true or false; null for "". */
    private static Boolean presetOrBoolean(SettingsReader c, String path) {
        String v = c.string(path);
        return switch (v) {
            case "" -> null;
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(path + " must be \"\" (the preset's value), true or false, got '"
                    + v + "'");
        };
    }
}
