package org.atdiff.objective;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.io.Checkpoint;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.random.BatchNoise;
import org.bytedeco.pytorch.Tensor;

/**
 * A training objective for an epsilon-prediction diffusion model: given a clean minibatch it draws timesteps and
 * noise, runs forward and backward passes and calls {@code update} once per optimizer step it wants taken.
 * Parameter gradients are expected to be zero (or undefined) on entry; {@code update} leaves them zeroed. What it
 * keeps between steps besides the model (a loss-aware sampler's history, a target network) is its
 * {@link CheckpointedState}.
 */
public interface TrainingObjective extends CheckpointedState {
    /** Names accepted by {@link #named}. */
    List<String> NAMES = List.of("plain", "ip", "at");

    /**
     * @param x0     clean images, float [B, C, H, W] in [-1, 1]
     * @param labels class labels, long [B], or null when unconditional
     * @param noise  the source of every random draw of this step, one stream per row of x0: row b's timestep,
     *               noise and any other per-sample draw come from {@code noise.stream(b)} only, so a sample's draws
     *               depend on its stream alone, not on the batch or the worker it lands in
     */
    StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                   ParameterUpdate update);

    /**
     * Tells the objective that a resumed run continues after {@code completedSteps} minibatch steps (for objectives
     * whose behaviour follows the step count, such as the consistency-training curriculum). The default does nothing.
     */
    default void resumeAt(long completedSteps) {}

    /**
     * The timestep sampler that learns from the (t, loss) pairs this objective's steps report
     * ({@link StepStats#timesteps()}, {@link StepStats#sampleLosses()}), if any: the training loop gathers every
     * worker's pairs of a step and records them in it. Empty (the default) when t does not depend on past losses.
     */
    default Optional<TimestepSampler> lossAwareTimesteps() {
        return Optional.empty();
    }

    /** The loss-aware timestep sampler's history under {@link Checkpoint#TIMESTEPS} (empty without one). */
    @Override
    default LinkedHashMap<String, Tensor> state() {
        LinkedHashMap<String, Tensor> s = new LinkedHashMap<>();
        lossAwareTimesteps().ifPresent(t -> CheckpointedState.putPrefixed(s, Checkpoint.TIMESTEPS, t));
        return s;
    }

    /** Restores the loss-aware timestep sampler's history; a checkpoint without one starts a fresh history. */
    @Override
    default void restore(Map<String, Tensor> saved, String source) {
        lossAwareTimesteps().ifPresent(t -> t.restore(CheckpointedState.under(Checkpoint.TIMESTEPS, saved), source));
    }

    /**
     * The objective called {@code name}: {@code plain} (DDPM), {@code ip} (input perturbation with strength
     * ipGamma) or {@code at} (free adversarial training with the given settings), drawing t from {@code timesteps}.
     * A model that learns its variance is trained with the hybrid loss ({@link DenoisingLoss}) by each of them.
     */
    static TrainingObjective named(String name, double ipGamma, AdversarialSettings adversarial,
                                   TimestepSampler timesteps) {
        return switch (name) {
            case "plain" -> new PlainObjective(timesteps);
            case "ip" -> new InputPerturbationObjective(ipGamma, timesteps);
            case "at" -> new FreeAdversarialObjective(adversarial, timesteps);
            default -> throw new IllegalArgumentException(
                    "unknown training objective '" + name + "' (valid: " + String.join(", ", NAMES) + ")");
        };
    }
}
