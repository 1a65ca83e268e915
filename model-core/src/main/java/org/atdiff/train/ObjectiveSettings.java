package org.atdiff.train;

import static org.atdiff.settings.SettingChecks.atLeast;
import java.io.IOException;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.atdiff.consistency.ConsistencyDistillationObjective;
import org.atdiff.consistency.ConsistencyNetwork;
import org.atdiff.consistency.ConsistencyParameterization;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.consistency.ConsistencyTrainingObjective;
import org.atdiff.consistency.TargetNetwork;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.io.Checkpoint;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.UNet;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.TimestepSampler;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.sampling.Sampler;
import org.atdiff.sampling.Samplers;
import org.atdiff.sampling.StatePerturbation;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A run's training objective, {@code train.objective}, with the settings it reads, checked when built (every bad
 * value an error naming its key): the one place that builds the objective ({@link #build}), says what a checkpoint
 * must hold to resume it ({@link #requireResumable}) and how its network is sampled ({@link #sampler},
 * {@link #noisePredictor}).
 *
 * <ul>
 *   <li>{@code plain}, {@code ip}, {@code at}: noise predictors ({@link TrainingObjective#named}), t drawn by
 *       {@code train.timestep-sampler}, whose loss history (if any) is the objective's checkpointed state.</li>
 *   <li>{@code cd} (Song et al., "Consistency Models", 2023, Algorithm 2): the teacher is the EMA weights of the DPM
 *       checkpoint {@code cm.teacher}, in eval mode. A fresh run starts the student and its EMA from the teacher's EMA
 *       weights (theta = theta^- = teacher); the target network theta^- is an EMA of the student with rate
 *       {@code cm.ema-rate} in its own copy of the U-Net, the objective's checkpointed state, required on resume.</li>
 *   <li>{@code ct} (Song and Dhariwal 2023): the target is the student behind a stop-gradient, nothing to save; the
 *       curriculum runs over {@code train.steps} and follows the resumed step ({@link TrainingObjective#resumeAt}).</li>
 * </ul>
 * With {@code train.adversarial = true} the consistency student's input is perturbed by free AT with {@code at.*}.
 *
 * @param name                   {@code train.objective}: plain, ip, at (noise predictors), cd, ct (consistency models)
 * @param ipGamma                {@code ip.gamma}, >= 0
 * @param adversarial            {@code at.*}: free AT of {@code at}, and of cd and ct with consistencyAdversarial
 * @param consistencyAdversarial {@code train.adversarial}: free AT of the consistency objectives
 * @param cm                     {@code cm.*}: the consistency objectives' settings
 * @param timestepSampler        {@code train.timestep-sampler}: how plain, ip and at draw t ({@link TimestepSampler#NAMES})
 */
public record ObjectiveSettings(String name, double ipGamma, AdversarialSettings adversarial,
        boolean consistencyAdversarial, ConsistencySettings cm, String timestepSampler) implements Serializable {
    /** The consistency-model objectives: distillation and (improved) consistency training. */
    public static final List<String> CONSISTENCY = List.of("cd", "ct");
    /** Every value {@code train.objective} accepts. */
    public static final List<String> NAMES = Stream.concat(TrainingObjective.NAMES.stream(), CONSISTENCY.stream()).toList();

    public ObjectiveSettings {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("train.objective '" + name + "' is not available (valid: "
                    + String.join(", ", NAMES) + ")");
        }
        atLeast("ip.gamma", ipGamma, 0.0);
        if (adversarial == null) throw new IllegalArgumentException("at.* settings must be given");
        if (cm == null) throw new IllegalArgumentException("cm.* settings must be given");
        if (name.equals("cd")) cm.requireTeacher();
        if (consistencyAdversarial && !CONSISTENCY.contains(name)) {
            throw new IllegalArgumentException("train.adversarial applies to train.objective = cd or ct only, not '"
                    + name + "' (adversarial DPM training is train.objective = at)");
        }
        if (!TimestepSampler.NAMES.contains(timestepSampler)) {
            throw new IllegalArgumentException("train.timestep-sampler '" + timestepSampler + "' is not one of "
                    + String.join(", ", TimestepSampler.NAMES));
        }
        if (!timestepSampler.equals("uniform") && CONSISTENCY.contains(name)) {
            throw new IllegalArgumentException("train.timestep-sampler = " + timestepSampler + " applies to the DPM "
                    + "objectives plain, ip and at, not to train.objective = " + name + " (its own discretisation)");
        }
    }

    /** True when the network is a consistency model (cd, ct) rather than a noise predictor (plain, ip, at). */
    public boolean consistencyModel() {
        return CONSISTENCY.contains(name);
    }

    /** The objective as the run reports it, e.g. {@code cd+at} for adversarial consistency distillation. */
    public String label() {
        return consistencyAdversarial ? name + "+at" : name;
    }

    /** The checkpoint the objective distils and starts from ({@code cm.teacher} of cd); empty for the others. */
    public Optional<String> teacher() {
        return name.equals("cd") ? Optional.of(cm.teacher()) : Optional.empty();
    }

    /** Reads the teacher checkpoint {@link #teacher()} names, checked against the student. */
    @FunctionalInterface
    public interface TeacherSource {
        Checkpoint read(String location) throws IOException;
    }

    /**
     * The objective for {@code student}, to call before a checkpoint is restored into the student (then
     * {@link TrainingObjective#restore}). On a fresh cd run ({@code fresh}) the student and {@code ema} take the
     * teacher's EMA weights (its raw weights when it has no EMA).
     *
     * @param totalSteps {@code train.steps}, the length of ct's curriculum
     * @param copySeed   seed of the initial weights of cd's teacher and target copies (overwritten at once)
     * @param teachers   reads cd's teacher; not called by the other objectives
     */
    public TrainingObjective build(ModelSpec spec, UNet student, ExponentialMovingAverage ema, long totalSteps,
                                   boolean fresh, long copySeed, TeacherSource teachers) throws IOException {
        AdversarialSettings cmAdversarial = consistencyAdversarial ? adversarial : null;
        switch (name) {
            case "cd" -> {
                UNet teacher = spec.build(copySeed); // weights replaced by the teacher's below
                UNet copy = spec.build(copySeed);
                try (PointerScope loading = new PointerScope()) { // the checkpoint's tensors are copied, then freed
                    Checkpoint c = teachers.read(cm.teacher());
                    LinkedHashMap<String, Tensor> weights = c.ema().isEmpty() ? c.model() : c.ema();
                    teacher.loadStateDict(weights);
                    if (fresh) {
                        student.loadStateDict(weights);
                        ema.loadStateDict(weights);
                    }
                }
                teacher.train(false);
                TargetNetwork target = TargetNetwork.ema(student, copy, cm.emaRate());
                return new ConsistencyDistillationObjective(teacher, target, cm, cmAdversarial);
            }
            case "ct" -> {
                return new ConsistencyTrainingObjective(TargetNetwork.stopGradient(student), cm, totalSteps, cmAdversarial);
            }
            default -> {
                return TrainingObjective.named(name, ipGamma, adversarial,
                        TimestepSampler.named(timestepSampler, spec.timesteps()));
            }
        }
    }

    /**
     * Checks, from the names of the objective-state tensors a checkpoint {@code source} holds, that this objective can
     * resume from it: cd needs its target network; the others start a fresh history when theirs is missing.
     */
    public void requireResumable(Set<String> stateNames, String source) {
        if (name.equals("cd") && stateNames.stream().noneMatch(n -> n.startsWith(Checkpoint.TARGET))) {
            throw new IllegalArgumentException("run.dir holds checkpoint " + source + " without a target network ("
                    + Checkpoint.TARGET + "* tensors): it was not written by a train.objective = cd run, so cd cannot "
                    + "resume from it; use another run.dir");
        }
    }

    /**
     * The sampler {@code sampler} for a network trained with this objective: {@code cm} needs a consistency model and
     * uses its sigma_data with the re-noising times {@code samplingTimes} (the sampling command's
     * {@code cm.sampling-times}); the other samplers are built as {@link Samplers#named(String, double,
     * TimestepSpacing, ConsistencySettings, StatePerturbation)} builds them, ddpm and ddim on {@code spacing}, with
     * {@code perturbation} on their intermediate states; dpm-solver++ (fractional timesteps) is refused for a
     * consistency model.
     */
    public Sampler sampler(String sampler, double eta, TimestepSpacing spacing, int[] samplingTimes,
                           StatePerturbation perturbation) {
        if (sampler.equals("cm")) {
            if (!consistencyModel()) {
                throw new IllegalArgumentException("sample.sampler = cm needs a consistency model (train.objective = cd "
                        + "or ct) but the checkpoint was trained with train.objective = " + name);
            }
            return Samplers.named(sampler, eta, spacing, cm.withSamplingTimes(samplingTimes));
        }
        if (sampler.equals("dpm-solver++") && consistencyModel()) {
            throw new IllegalArgumentException("sample.sampler = dpm-solver++ evaluates the network at fractional "
                    + "timesteps, but a consistency model (train.objective = " + name + ") is defined at integer "
                    + "timesteps only; sample it with cm, ddim or ddpm");
        }
        return Samplers.named(sampler, eta, spacing, cm, perturbation);
    }

    /**
     * The denoiser the noise-prediction samplers (ddpm, ddim, dpm-solver++) should run: the network itself for a DPM,
     * and for a consistency model (ddpm and ddim only) the noise its consistency function's x0 estimate implies
     * ({@link org.atdiff.consistency.ConsistencyFunction#predictNoise}), since its raw output is only the inner
     * network F of f = c_skip x + c_out F. The {@code cm} sampler takes the raw network.
     */
    public Denoiser noisePredictor(Denoiser network, NoiseSchedule schedule) {
        if (!consistencyModel()) return network;
        return new ConsistencyNetwork(network, new ConsistencyParameterization(schedule, cm.sigmaData()));
    }
}
