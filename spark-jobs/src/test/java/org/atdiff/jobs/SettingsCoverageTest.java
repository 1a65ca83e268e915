package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.command.PrepJobSettings;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.train.TrainSettings;
import org.atdiff.prep.PrepSettingsBuilder;
import org.atdiff.settings.SettingChecks;
import org.atdiff.train.ReferenceSettings;
import org.junit.jupiter.api.Test;

/**
 * Every key of conf/application.conf (outside the passthrough block spark.conf) is read by some command's settings
 * binding, every key a binding reads is in the file, every command's binding accepts the reference values and its own
 * profile, and the values the tests of model-core and data-prep (which cannot read the file) take for its defaults are
 * the file's.
 */
class SettingsCoverageTest {
    private static Set<String> leafKeys(Config c) {
        Set<String> keys = new TreeSet<>();
        for (Map.Entry<String, ?> e : c.entrySet()) {
            if (!e.getKey().startsWith(AtdiffConfig.SPARK_PROPERTIES + ".")) keys.add(e.getKey());
        }
        return keys;
    }

    @Test
    void everyKeyHasAReaderAndEveryReaderAKey() {
        Config reference = AtdiffConfig.reference();
        SettingsReader r = new SettingsReader(reference);
        Atdiff.commands().forEach((name, command) -> assertDoesNotThrow(() -> command.readSettings(r), name));
        Set<String> keys = leafKeys(reference);
        Set<String> unread = new TreeSet<>(keys);
        unread.removeAll(r.pathsRead());
        assertEquals(Set.of(), unread, "keys of conf/application.conf that no command's settings read");
        Set<String> missing = new TreeSet<>(r.pathsRead());
        missing.removeAll(keys);
        assertEquals(Set.of(), missing, "keys read that conf/application.conf does not define");
        assertTrue(keys.size() > 150, "walked " + keys.size() + " keys");
    }

    @Test
    void theTestFixturesOfModelCoreAndDataPrepHoldTheFilesValues() {
        SettingsReader r = new SettingsReader(AtdiffConfig.load(null, List.of("input.path=in", "output.path=out")));
        assertEquals(TrainSettings.adversarial(r), ReferenceSettings.AT);
        assertEquals(TrainSettings.consistency(r), ReferenceSettings.CM);
        assertEquals(PrepJobSettings.read(r), PrepSettingsBuilder.of("in", "out").build());
    }

    @Test
    void everyCommandReadsItsOwnProfile() {
        Atdiff.commands().forEach((name, command) -> {
            if (command.defaultProfile() == null) return;
            Config c = AtdiffConfig.load(null, command.defaultProfile(), List.of());
            assertDoesNotThrow(() -> command.readSettings(new SettingsReader(c)), name + " " + command.defaultProfile());
        });
    }

    @Test
    void aReaderOfAMissingOrIllTypedKeyNamesIt() {
        SettingsReader r = new SettingsReader(AtdiffConfig.reference());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.integer("train.stepz")).getMessage()
                .contains("train.stepz"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.integer("run.dir")).getMessage()
                .contains("run.dir"));
    }

    @Test
    void checksNameTheKeyAndTheRule() {
        SettingsReader r = new SettingsReader(AtdiffConfig.load(null, List.of("train.steps=0", "train.beta1=1",
                "export.what=everything", "train.precision=fp8", "run.dir=\"\"", "train.collective-timeout=0s")));
        assertEquals("train.steps must be >= 1 but is 0",
                assertThrows(IllegalArgumentException.class, () -> r.atLeast("train.steps", 1)).getMessage());
        assertEquals("train.beta1 must be in [0.0, 1.0) but is 1.0",
                assertThrows(IllegalArgumentException.class, () -> SettingChecks.inRange("train.beta1", r.number("train.beta1"), 0, 1, true)).getMessage());
        assertEquals("export.what must be one of samples, weights but is 'everything'", assertThrows(
                IllegalArgumentException.class, () -> r.oneOf("export.what", List.of("samples", "weights"))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> r.named("train.precision", org.atdiff.train.Precision::named)).getMessage().contains("train.precision"));
        assertEquals("run.dir must not be empty",
                assertThrows(IllegalArgumentException.class, () -> r.nonEmpty("run.dir")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.positiveDuration("train.collective-timeout"))
                .getMessage().startsWith("train.collective-timeout must be positive"));
        assertEquals(List.of(1, 2, 4), new SettingsReader(AtdiffConfig.load(null, List.of("model.channel-mult=[1,2,4]")))
                .ints("model.channel-mult"));
    }
}
