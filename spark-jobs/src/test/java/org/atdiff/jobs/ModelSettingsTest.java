package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.atdiff.nn.ModelSpec;
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
