package org.atdiff.jobs.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.jobs.command.ModelSettings;
import org.junit.jupiter.api.Test;

class TrainPlanTest {
    private static final Path DATA = Path.of("data"), RUN = Path.of("run");

    private static TrainPlan plan(long start, ShardSpan span, String... overrides) {
        var config = DistributedTrainerTest.config(DATA, RUN, overrides);
        ModelSpec spec = ModelSettings.fromConfig(config, 8, 3, 0);
        return new TrainPlan(TrainSettings.fromConfig(config), spec, TrainSettings.toJson(config), start, span);
    }

    private static TrainPlan roundTrip(TrainPlan p) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (TrainPlan) in.readObject();
        }
    }

    @Test
    void aPlanReachesTheWorkersAsTheDriverCheckedIt() throws Exception {
        TrainPlan sharded = plan(4, new ShardSpan(11, 4, 9), "train.objective=ct", "train.adversarial=true",
                "cm.sampling-times=[40, 20]", "cm.sigma-data=0.4");
        TrainPlan back = roundTrip(sharded);
        assertEquals(sharded.settings(), back.settings(), "settings, objective with its cm.* and at.* included");
        assertEquals("ct+at", back.settings().objective().label());
        assertArrayEquals(new int[] {40, 20}, back.settings().objective().cm().samplingTimes());
        assertEquals(sharded.spec(), back.spec());
        assertEquals(sharded.spec().toJson(), back.spec().toJson());
        assertEquals(new ShardSpan(11, 4, 9), back.span());
        assertEquals(4, back.startStep());
        assertEquals(sharded.configJson(), back.configJson());

        TrainPlan replicated = roundTrip(plan(0, null, "train.timestep-sampler=loss-second-moment"));
        assertNull(replicated.span());
        assertEquals("loss-second-moment", replicated.settings().objective().timestepSampler());
    }

    @Test
    void aShardedStageStartsAtItsSpan() {
        String m = assertThrows(IllegalArgumentException.class, () -> plan(3, new ShardSpan(11, 4, 9))).getMessage();
        assertTrue(m.contains("span's first step 4"), m);
        assertThrows(IllegalArgumentException.class, () -> plan(-1, null));
    }
}
