package org.atdiff.jobs;

import com.typesafe.config.Config;
import org.atdiff.nn.ModelSpec;
import org.atdiff.nn.UNetConfig;

/** Maps the {@code model.*} and {@code diffusion.*} configuration keys to a {@link ModelSpec}. */
public final class ModelSettings {
    private ModelSettings() {}

    /**
     * @param imageSize  side of the dataset's images
     * @param channels   channels of the dataset's images
     * @param numClasses number of classes of the dataset (used only when model.class-conditional is true)
     */
    public static ModelSpec fromConfig(Config c, int imageSize, int channels, int numClasses) {
        UNetConfig unet;
        try {
            unet = UNetConfig.preset(c.getString("model.preset"), imageSize, channels).withOverrides(
                    c.getInt("model.base-channels"), ints(c, "model.channel-mult"), c.getInt("model.res-blocks"),
                    ints(c, "model.attention-resolutions"), c.getInt("model.head-channels"), c.getDouble("model.dropout"))
                    .withLearnSigma(c.getBoolean("model.learn-sigma"));
            if (c.getBoolean("model.class-conditional")) {
                if (numClasses < 2) {
                    throw new IllegalArgumentException("model.class-conditional is true but the dataset has "
                            + numClasses + " label(s)");
                }
                unet = unet.withNumClasses(numClasses);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model: " + e.getMessage(), e);
        }
        try {
            return new ModelSpec(unet, c.getString("diffusion.schedule"), c.getInt("diffusion.timesteps"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("diffusion.schedule / diffusion.timesteps: " + e.getMessage(), e);
        }
    }

    private static int[] ints(Config c, String path) {
        return c.getIntList(path).stream().mapToInt(Integer::intValue).toArray();
    }
}
