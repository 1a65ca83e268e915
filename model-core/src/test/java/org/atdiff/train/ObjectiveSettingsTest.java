package org.atdiff.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.Set;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.consistency.ConsistencyTrainingObjective;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.Checkpoint;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.FreeAdversarialObjective;
import org.atdiff.objective.InputPerturbationObjective;
import org.atdiff.objective.PlainObjective;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.ExponentialMovingAverage;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class ObjectiveSettingsTest {
    private static final ConsistencySettings CM = ReferenceSettings.CM;
    private static final ConsistencySettings CM_TEACHER = new ConsistencySettings("runs/teacher", CM.solver(),
            CM.discretization(), CM.ctInitialSteps(), CM.ctFinalSteps(), CM.rho(), CM.metric(), CM.emaRate(),
            CM.sigmaData(), new int[0]);

    private static ObjectiveSettings settings(String name, boolean adversarial, ConsistencySettings cm, String sampler) {
        return new ObjectiveSettings(name, 0.1, ReferenceSettings.AT, adversarial, cm, sampler);
    }

    @Test
    void badCombinationsAreErrorsNamingTheirKeys() {
        String m = assertThrows(IllegalArgumentException.class, () -> settings("fgsm", false, CM, "uniform")).getMessage();
        assertTrue(m.contains("train.objective 'fgsm'") && m.contains("plain, ip, at, cd, ct"), m);
        m = assertThrows(IllegalArgumentException.class, () -> settings("cd", false, CM, "uniform")).getMessage();
        assertTrue(m.contains("cm.teacher"), m);
        m = assertThrows(IllegalArgumentException.class, () -> settings("at", true, CM, "uniform")).getMessage();
        assertTrue(m.contains("train.adversarial applies to train.objective = cd or ct"), m);
        m = assertThrows(IllegalArgumentException.class, () -> settings("ct", false, CM, "loss-second-moment")).getMessage();
        assertTrue(m.contains("train.timestep-sampler = loss-second-moment") && m.contains("ct"), m);
        m = assertThrows(IllegalArgumentException.class, () -> settings("plain", false, CM, "importance")).getMessage();
        assertTrue(m.contains("train.timestep-sampler 'importance'"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> new ObjectiveSettings("ip", -1, ReferenceSettings.AT, false, CM, "uniform")).getMessage();
        assertTrue(m.contains("ip.gamma"), m);
    }

    @Test
    void labelsTeachersAndModelKinds() {
        assertEquals("cd+at", settings("cd", true, CM_TEACHER, "uniform").label());
        assertEquals("at", settings("at", false, CM, "uniform").label());
        assertEquals(Optional.of("runs/teacher"), settings("cd", false, CM_TEACHER, "uniform").teacher());
        assertEquals(Optional.empty(), settings("ct", false, CM_TEACHER, "uniform").teacher(), "only cd reads a teacher");
        assertTrue(settings("ct", false, CM, "uniform").consistencyModel());
        assertFalse(settings("ip", false, CM, "uniform").consistencyModel());
    }

    @Test
    void onlyDistillationNeedsItsStateToResume() {
        ObjectiveSettings cd = settings("cd", false, CM_TEACHER, "uniform");
        cd.requireResumable(Set.of(Checkpoint.TARGET + "in.weight"), "step-2");
        String m = assertThrows(IllegalArgumentException.class,
                () -> cd.requireResumable(Set.of(Checkpoint.TIMESTEPS + "loss_history"), "step-2")).getMessage();
        assertTrue(m.contains("step-2") && m.contains("target network"), m);
        settings("plain", false, CM, "loss-second-moment").requireResumable(Set.of(), "step-2"); // a fresh history
        settings("ct", false, CM, "uniform").requireResumable(Set.of(), "step-2");
    }

    @Test
    void buildsEachObjectiveWithItsStateUnderItsCheckpointPrefix() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            ModelSpec spec = new ModelSpec(UNetConfig.preset("tiny", 8, 3), "linear", 20);
            UNet student = spec.build(1);
            ExponentialMovingAverage ema = new ExponentialMovingAverage(student, 0.9);
            ObjectiveSettings.TeacherSource none = t -> fail("only cd reads a teacher");
            assertInstanceOf(PlainObjective.class, settings("plain", false, CM, "uniform").build(spec, student, ema, 5, true, 2, none));
            assertInstanceOf(InputPerturbationObjective.class, settings("ip", false, CM, "uniform").build(spec, student, ema, 5, true, 2, none));
            assertInstanceOf(FreeAdversarialObjective.class, settings("at", false, CM, "uniform").build(spec, student, ema, 5, true, 2, none));
            TrainingObjective ct = settings("ct", true, CM, "uniform").build(spec, student, ema, 5, true, 2, none);
            assertInstanceOf(ConsistencyTrainingObjective.class, ct);
            assertTrue(ct.state().isEmpty(), "ct's target is the student: nothing to save");

            TrainingObjective uniform = settings("plain", false, CM, "uniform").build(spec, student, ema, 5, true, 2, none);
            assertTrue(uniform.state().isEmpty());
            TrainingObjective lsm = settings("plain", false, CM, "loss-second-moment").build(spec, student, ema, 5, true, 2, none);
            LinkedHashMap<String, Tensor> state = lsm.state();
            assertEquals(Set.of("timesteps.loss_history", "timesteps.loss_counts"), state.keySet(), "the names checkpoints keep");
            lsm.lossAwareTimesteps().orElseThrow().record(new int[] {3}, new double[] {0.5});
            TrainingObjective again = settings("plain", false, CM, "loss-second-moment").build(spec, student, ema, 5, true, 2, none);
            again.restore(lsm.state(), "mem");
            assertEquals(0.5, again.state().get("timesteps.loss_history").select(0, 3).select(0, 0).item_double());
        }
    }

    @Test
    void distillationStartsAFreshStudentFromTheTeacherAndCheckpointsItsTarget() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            ModelSpec spec = new ModelSpec(UNetConfig.preset("tiny", 8, 3), "linear", 20);
            UNet trained = spec.build(7), student = spec.build(1);
            LinkedHashMap<String, Tensor> weights = trained.stateDict();
            Checkpoint teacher = new Checkpoint(weights, new LinkedHashMap<>(), new LinkedHashMap<>(), 3,
                    new LinkedHashMap<>(), "{}", spec.toJson());
            ExponentialMovingAverage ema = new ExponentialMovingAverage(student, 0.9);
            TrainingObjective cd = settings("cd", false, CM_TEACHER, "uniform").build(spec, student, ema, 5, true, 2, t -> {
                assertEquals("runs/teacher", t);
                return teacher;
            });
            LinkedHashMap<String, Tensor> state = cd.state();
            assertEquals(student.stateDict().size(), state.size());
            for (var e : student.stateDict().entrySet()) {
                Tensor saved = state.get(Checkpoint.TARGET + e.getKey());
                assertNotNull(saved, e.getKey());
                assertTrue(saved.equal(weights.get(e.getKey())), "target = teacher: " + e.getKey());
                assertTrue(e.getValue().equal(weights.get(e.getKey())), "student = teacher: " + e.getKey());
            }
            String m = assertThrows(IllegalArgumentException.class, () -> cd.restore(new LinkedHashMap<>(), "step-4"))
                    .getMessage();
            assertTrue(m.contains("step-4") && m.contains("target"), m);
        }
    }
}
