package org.atdiff.jobs.train;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.consistency.ConsistencyDistillationObjective;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.consistency.ConsistencyTrainingObjective;
import org.atdiff.consistency.TargetNetwork;
import org.atdiff.io.Checkpoint;
import org.atdiff.nn.ModelSpec;
import org.atdiff.nn.UNet;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.ExponentialMovingAverage;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The consistency-model side of one training replica ({@code train.objective = cd | ct}): the objective, its target
 * network and, for distillation, the frozen teacher.
 *
 * <ul>
 *   <li>{@code cd} (Song et al., "Consistency Models", 2023, Algorithm 2): the teacher is the EMA weights of the DPM
 *       checkpoint {@code cm.teacher} (a run directory's latest checkpoint or a file), in eval mode; it must have been
 *       trained on the student's model and schedule (same U-Net shapes, schedule and T) by a DPM objective. A fresh
 *       run starts the student and its EMA from the teacher's EMA weights (theta = theta^- = teacher, Algorithm 2);
 *       the target network theta^- is an EMA of the student with rate {@code cm.ema-rate}, kept in its own copy of
 *       the U-Net and saved in checkpoints under {@code target.}, from where a resumed run restores it.</li>
 *   <li>{@code ct} (Song and Dhariwal 2023): the target is the student behind a stop-gradient, nothing to save; the
 *       curriculum runs over {@code train.steps} and follows the resumed step through
 *       {@link TrainingObjective#resumeAt} (which the training loop forwards).</li>
 * </ul>
 * With {@code train.adversarial = true} the student's input is perturbed by free AT with the {@code at.*} settings.
 */
public final class ConsistencyReplica {
    private final TrainingObjective objective;
    private final TargetNetwork target;
    private final UNet teacher;

    private ConsistencyReplica(TrainingObjective objective, TargetNetwork target, UNet teacher) {
        this.objective = objective;
        this.target = target;
        this.teacher = teacher;
    }

    /**
     * Builds the objective for {@code student}. Call before restoring a checkpoint into the student (then
     * {@link #restore}); on a fresh cd run ({@code fresh}) the student and {@code ema} take the teacher's weights.
     *
     * @param targetSeed seed of the target copy's initial weights (overwritten by the student's at once)
     */
    public static ConsistencyReplica create(TrainSettings settings, ModelSpec spec, UNet student,
                                            ExponentialMovingAverage ema, boolean fresh, long targetSeed,
                                            Configuration hadoop) throws IOException {
        ConsistencySettings cm = settings.cm();
        switch (settings.objective()) {
            case "cd" -> {
                UNet teacher = spec.build(targetSeed); // weights replaced by the teacher's below
                UNet copy = spec.build(targetSeed);
                try (PointerScope loading = new PointerScope()) { // the checkpoint's tensors are copied, then freed
                    Checkpoint c = readTeacher(cm.requireTeacher(), spec, hadoop);
                    LinkedHashMap<String, Tensor> weights = teacherWeights(c);
                    teacher.loadStateDict(weights);
                    if (fresh) {
                        student.loadStateDict(weights);
                        ema.loadStateDict(weights);
                    }
                }
                teacher.train(false);
                TargetNetwork target = TargetNetwork.ema(student, copy, cm.emaRate());
                return new ConsistencyReplica(new ConsistencyDistillationObjective(teacher, target, cm,
                        settings.consistencyAdversarial()), target, teacher);
            }
            case "ct" -> {
                TargetNetwork target = TargetNetwork.stopGradient(student);
                return new ConsistencyReplica(new ConsistencyTrainingObjective(target, cm, settings.steps(),
                        settings.consistencyAdversarial()), target, null);
            }
            default -> throw new IllegalArgumentException("train.objective '" + settings.objective()
                    + "' is not a consistency objective (cd, ct)");
        }
    }

    /**
     * The teacher checkpoint {@code location} ({@code cm.teacher}), checked against the student's spec: a DPM
     * objective, the same schedule and T, and the same U-Net tensor shapes. Errors name {@code cm.teacher}.
     */
    public static Checkpoint readTeacher(String location, ModelSpec student, Configuration hadoop) throws IOException {
        Checkpoint c = RunDirectory.readCheckpoint(location, hadoop, "cm.teacher");
        String objective = TrainSettings.parse(c.configJson()).getString("train.objective");
        if (TrainSettings.CONSISTENCY_OBJECTIVES.contains(objective)) {
            throw new IllegalArgumentException("cm.teacher " + location + " was trained with train.objective = "
                    + objective + "; distillation needs a DPM teacher (plain, ip or at)");
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

    /** The teacher's EMA weights (its raw weights when the checkpoint has no EMA). */
    private static LinkedHashMap<String, Tensor> teacherWeights(Checkpoint c) {
        return c.ema().isEmpty() ? c.model() : c.ema();
    }

    public TrainingObjective objective() {
        return objective;
    }

    public TargetNetwork target() {
        return target;
    }

    /** The frozen teacher of cd, or null for ct. */
    public UNet teacher() {
        return teacher;
    }

    /** The target weights to checkpoint (under {@code target.}); empty when the target is the student itself. */
    public LinkedHashMap<String, Tensor> targetState() {
        return target.hasOwnWeights() ? target.stateDict() : new LinkedHashMap<>();
    }

    /** Restores the target network of a resumed run from its checkpoint {@code source}. */
    public void restore(Checkpoint c, String source) {
        if (!target.hasOwnWeights()) return;
        Map<String, Tensor> saved = c.target();
        if (saved.isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + source + " has no target network (target.* tensors), so "
                    + "a train.objective = cd run cannot resume from it; it was written by another objective: use "
                    + "another run.dir");
        }
        target.loadStateDict(saved);
    }
}
