package org.atdiff.jobs.command;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.nn.UNetConfig;
import org.junit.jupiter.api.Test;

class ModelSettingsTest {
    @Test
    void presetWithOverridesAndSchedule() {
        ModelSpec s = ModelSettings.fromConfig(AtdiffConfig.load(null, List.of("model.preset=tiny",
                "model.base-channels=64", "diffusion.schedule=cosine", "diffusion.timesteps=500")), 28, 1, 10);
        assertEquals(64, s.unet().baseChannels());
        assertEquals(1, s.unet().inChannels());
        assertEquals(0, s.unet().numClasses());
        assertEquals("cosine", s.schedule());
        assertEquals(500, s.timesteps());
        assertFalse(s.unet().learnSigma(), "model.learn-sigma defaults to false");
        ModelSpec learned = ModelSettings.fromConfig(AtdiffConfig.load(null, List.of("model.preset=tiny",
                "model.learn-sigma=true")), 16, 3, 0);
        assertTrue(learned.unet().learnSigma());
        assertEquals(6, learned.unet().outChannels());
    }

    @Test
    void cifar10AdmIsTheAuthorsModelAndEachChoiceCanBeOverridden() {
        ModelSpec adm = ModelSettings.fromConfig(AtdiffConfig.load(null, List.of("model.preset=cifar10-adm")), 32, 3, 10);
        assertEquals(UNetConfig.preset("cifar10-adm", 32, 3), adm.unet());
        assertTrue(adm.unet().learnSigma() && adm.unet().resblockUpdown());
        assertEquals(UNetConfig.AttentionOrder.QKV_FIRST, adm.unet().attentionOrder());
        assertEquals("cosine", adm.schedule(), "the preset's schedule when diffusion.schedule is empty");
        assertEquals("linear", ModelSettings.fromConfig(AtdiffConfig.load(null, List.of()), 32, 3, 0).schedule());
        ModelSpec o = ModelSettings.fromConfig(AtdiffConfig.load(null, List.of("model.preset=cifar10-adm",
                "model.learn-sigma=false", "model.resblock-updown=false", "model.attention-order=heads-first",
                "diffusion.schedule=linear")), 32, 3, 0);
        assertFalse(o.unet().learnSigma() || o.unet().resblockUpdown());
        assertEquals(UNetConfig.AttentionOrder.HEADS_FIRST, o.unet().attentionOrder());
        assertEquals("linear", o.schedule());
        UNetConfig small = ModelSettings.fromConfig(AtdiffConfig.load(null, List.of("model.resblock-updown=true",
                "model.attention-order=qkv-first")), 32, 3, 0).unet();
        assertTrue(small.resblockUpdown());
        assertEquals(UNetConfig.AttentionOrder.QKV_FIRST, small.attentionOrder());
        for (String bad : List.of("model.learn-sigma=maybe", "model.resblock-updown=yes", "model.attention-order=new")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelSettings.fromConfig(AtdiffConfig.load(null, List.of(bad)), 32, 3, 0));
            assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf('='))), e.getMessage());
        }
    }

    @Test
    void classConditionalTakesTheDatasetsClassesAndErrorsNameTheKey() {
        assertEquals(10, ModelSettings.fromConfig(AtdiffConfig.load(null, List.of("model.preset=tiny",
                "model.class-conditional=true")), 32, 3, 10).unet().numClasses());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSettings.fromConfig(
                AtdiffConfig.load(null, List.of("model.preset=huge")), 32, 3, 0));
        assertTrue(e.getMessage().contains("huge"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSettings.fromConfig(
                AtdiffConfig.load(null, List.of("diffusion.schedule=quadratic")), 32, 3, 0));
        assertTrue(e.getMessage().contains("diffusion.schedule"), e.getMessage());
    }
}
