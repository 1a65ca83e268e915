package org.atdiff.sampling;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.random.BatchNoise;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The reverse-process loop of every noise-prediction sampler, in one place (as k-diffusion's sampling functions and
 * diffusers' pipeline around scheduler.step share one): a sampler names its {@link #path} (which noise levels, from
 * its respacing) and its step formula ({@link #step}); the loop walks the path from x_T and at every level
 * <ol>
 *   <li>perturbs the state, at every level after the first ({@link StatePerturbation}; the robustness evaluation),</li>
 *   <li>evaluates the model once, eps_theta(x_t, t) (and v for a learned-variance model), and forms
 *       x0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar), clipped to [-1, 1] where the sampler clips,</li>
 *   <li>moves x to the next level with the sampler's step formula, which also sees the previous level's prediction
 *       (multistep methods),</li>
 *   <li>frees the step's native tensors (one {@code PointerScope} per step) and reports progress;</li>
 * </ol>
 * and clamps the result to [-1, 1]. The model is evaluated exactly {@link SamplingPath#evaluations()} = nfe times
 * (plus what a perturbation spends). A new step formula is one more {@link #step} method (the ancestral step with a
 * learned variance is {@link DdpmSampler}'s).
 */
public abstract class ReverseProcessSampler implements Sampler {
    private final boolean clipX0;
    private final StatePerturbation perturbation;

    /**
     * @param clipX0       clip each x0 prediction to [-1, 1] before the step formula sees it
     * @param perturbation applied to every state after x_T, before the model sees it (robustness evaluation)
     */
    ReverseProcessSampler(boolean clipX0, StatePerturbation perturbation) {
        this.clipX0 = clipX0;
        this.perturbation = perturbation;
    }

    /** Whether each x0 prediction is clipped to [-1, 1]. */
    public boolean clipsX0() {
        return clipX0;
    }

    /**
     * The levels a run with {@code nfe} model evaluations visits.
     *
     * @param schedule the schedule the model was trained on
     * @throws IllegalArgumentException naming nfe when the sampler cannot take that many steps on {@code schedule}
     */
    public abstract SamplingPath path(NoiseSchedule schedule, int nfe);

    /** What a step formula sees: x at index i of the path, the model's prediction there and the previous level's. */
    record Step(SamplingPath path, int i, Tensor x, Prediction prediction, Prediction previous, BatchNoise noise,
                long[] rowShape) {
        NoiseSchedule levels() {
            return path.levels();
        }

        /** True at the first level evaluated (x = x_T); {@link #previous} is null there. */
        boolean first() {
            return i == path.top();
        }

        /** True at the last level evaluated. */
        boolean last() {
            return i == path.lowest();
        }

        /** Fresh standard normal noise, one draw per row from that row's stream. */
        Tensor normal() {
            return noise.normal(rowShape);
        }
    }

    /** The step formula: x at index i - 1 of the path (the data below index 0). */
    abstract Tensor step(Step s);

    @Override
    public final Tensor sample(Denoiser model, NoiseSchedule schedule, int nfe, Tensor xT, Tensor labels,
                               BatchNoise noise) {
        return sample(model, schedule, nfe, xT, labels, noise, SamplingProgress.NONE);
    }

    /** {@link #sample(Denoiser, NoiseSchedule, int, Tensor, Tensor, BatchNoise)}, telling {@code progress} every step. */
    public final Tensor sample(Denoiser model, NoiseSchedule schedule, int nfe, Tensor xT, Tensor labels,
                               BatchNoise noise, SamplingProgress progress) {
        long[] rowShape = SamplingInputs.rowShape(xT, noise);
        SamplingPath path = path(schedule, nfe);
        NoiseSchedule levels = path.levels();
        try (CarriedTensor x = new CarriedTensor(xT); CarriedTensor epsBefore = new CarriedTensor(null);
             CarriedTensor x0Before = new CarriedTensor(null)) {
            for (int i = path.top(); i >= path.lowest(); i--) {
                try (PointerScope scope = new PointerScope()) {
                    if (i < path.top()) x.replace(perturbation.apply(model, levels, i, x.get(), labels, noise));
                    DenoiserOutput out = NoisePrediction.output(model, levels, i, x.get(), labels);
                    Tensor eps = out.eps();
                    Tensor x0 = NoisePrediction.x0(levels, i, x.get(), eps);
                    if (clipX0) x0 = NoisePrediction.clampToData(x0);
                    Prediction now = new Prediction(eps, x0, out.v());
                    Prediction before = i < path.top() ? new Prediction(epsBefore.get(), x0Before.get()) : null;
                    x.replace(step(new Step(path, i, x.get(), now, before, noise, rowShape)));
                    epsBefore.replace(eps);
                    x0Before.replace(x0);
                }
                progress.stepDone(path.top() - i + 1, path.evaluations(), levels.modelTimestep(i));
            }
            return NoisePrediction.clampToData(x.get());
        }
    }
}
