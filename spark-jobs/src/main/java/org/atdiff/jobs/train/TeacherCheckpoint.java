package org.atdiff.jobs.train;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.Checkpoint;
import org.atdiff.train.ObjectiveSettings;
import org.bytedeco.javacpp.PointerScope;

/** The teacher checkpoint that consistency distillation reads ({@code cm.teacher}, {@link ObjectiveSettings#teacher()}). */
final class TeacherCheckpoint {
    private TeacherCheckpoint() {}

    /**
     * The teacher checkpoint {@code location} (a run directory's latest checkpoint or a file), checked against the
     * student's spec: a DPM objective, the same schedule and T, and the same U-Net tensor shapes (the student starts
     * from its weights). Errors name {@code cm.teacher}.
     */
    static Checkpoint read(String location, ModelSpec student, Configuration hadoop) throws IOException {
        Checkpoint c = RunDirectory.readCheckpoint(location, hadoop, "cm.teacher");
        ObjectiveSettings objective = TrainSettings.trainedObjective(c.configJson(), location);
        if (objective.consistencyModel()) {
            throw new IllegalArgumentException("cm.teacher " + location + " was trained with train.objective = "
                    + objective.name() + "; distillation needs a DPM teacher (plain, ip or at)");
        }
        ModelSpec t = ModelSpec.fromJson(c.modelSpecJson());
        if (!t.schedule().equals(student.schedule()) || t.timesteps() != student.timesteps()) {
            throw new IllegalArgumentException("cm.teacher " + location + " was trained on the " + t.schedule()
                    + " schedule with T = " + t.timesteps() + " but the student uses " + student.schedule() + " with T = "
                    + student.timesteps() + " (set diffusion.* as the teacher's run did)");
        }
        try (PointerScope scope = new PointerScope()) {
            c.requireSameShapes(student.build(0).stateDict()); // the EMA has the model's names and shapes
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cm.teacher " + location + " holds a model of another shape than the "
                    + "student's model.* (" + e.getMessage() + "); the student starts from the teacher's weights, so "
                    + "use the teacher run's model settings", e);
        }
        return c;
    }
}
