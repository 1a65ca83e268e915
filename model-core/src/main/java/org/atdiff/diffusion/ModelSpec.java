package org.atdiff.diffusion;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;

/**
 * Everything needed to rebuild a trained diffusion model from its weights alone: the U-Net's hyper-parameters
 * and the noise schedule it was trained with. Stored as JSON in every checkpoint (metadata key {@code model}),
 * so sampling never depends on the configuration of the command that reads the checkpoint.
 */
public record ModelSpec(UNetConfig unet, String schedule, int timesteps) implements Serializable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelSpec {
        NoiseSchedule.named(schedule, timesteps); // validates the name and T
    }

    /**
     * The noise schedule a preset's network was trained with, used when diffusion.schedule is empty: cosine for the
     * CIFAR-10 presets (Nichol and Dhariwal 2021 and Wang et al. 2025 trained them with it), linear for tiny and small.
     */
    public static String presetSchedule(String preset) {
        UNetConfig.preset(preset, 32, 1); // an unknown name fails here, listing the valid ones
        return switch (preset) {
            case "cifar10-adm", "cifar10-iddpm" -> "cosine";
            default -> "linear";
        };
    }

    public NoiseSchedule noiseSchedule() {
        return NoiseSchedule.named(schedule, timesteps);
    }

    public UNet build(long seed) {
        return new UNet(unet, seed);
    }

    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode u = n.putObject("unet");
        u.put("preset", unet.preset());
        u.put("in_channels", unet.inChannels());
        u.put("image_size", unet.imageSize());
        u.put("base_channels", unet.baseChannels());
        u.set("channel_mult", JSON.valueToTree(unet.channelMult()));
        u.put("res_blocks", unet.resBlocks());
        u.set("attention_resolutions", JSON.valueToTree(unet.attentionResolutions()));
        u.put("head_channels", unet.headChannels());
        u.put("dropout", unet.dropout());
        u.put("num_classes", unet.numClasses());
        u.put("learn_sigma", unet.learnSigma());
        u.put("resblock_updown", unet.resblockUpdown());
        u.put("attention_order", unet.attentionOrder().key());
        n.put("schedule", schedule);
        n.put("timesteps", timesteps);
        return n.toString();
    }

    public static ModelSpec fromJson(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            JsonNode u = n.required("unet");
            UNetConfig cfg = new UNetConfig(u.required("preset").asText(), u.required("in_channels").asInt(),
                    u.required("image_size").asInt(), u.required("base_channels").asInt(),
                    JSON.treeToValue(u.required("channel_mult"), int[].class), u.required("res_blocks").asInt(),
                    JSON.treeToValue(u.required("attention_resolutions"), int[].class),
                    u.required("head_channels").asInt(), u.required("dropout").asDouble(),
                    u.required("num_classes").asInt(),
                    u.path("learn_sigma").asBoolean(false), // specs written before learn-sigma: eps only
                    // specs written before these options describe improved-diffusion's layout
                    u.path("resblock_updown").asBoolean(false),
                    UNetConfig.AttentionOrder.named(u.path("attention_order").asText("heads-first")));
            return new ModelSpec(cfg, n.required("schedule").asText(), n.required("timesteps").asInt());
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid model spec: " + e.getMessage(), e);
        }
    }
}
