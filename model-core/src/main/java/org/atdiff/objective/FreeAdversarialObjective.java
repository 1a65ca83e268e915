package org.atdiff.objective;

import static org.atdiff.settings.SettingChecks.given;
import java.util.Optional;
import java.util.OptionalDouble;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Free adversarial training of a diffusion model (Wang et al., "Improved Diffusion-based Generative Model with Better
 * Adversarial Robustness", ICLR 2025; "free" replays after Shafahi et al., "Adversarial Training for Free!", 2019).
 * Per minibatch t and eps are drawn once and delta_0 = 0; then K times: L = mean ||eps_theta(x_t + delta, t) - target||^2,
 * one backward gives the parameter gradients and g = dL/d delta, the optimizer steps, and delta ascends along g
 * (l2: delta + rho g / ||g||_2 per sample, projected to ||delta||_2 <= alpha sqrt(CHW); linf: clip(delta + rho sign g,
 * -alpha, alpha)). As in the authors' code the ascent after the last replay is skipped: its delta would be unused.
 *
 * <p>A model that learns its variance is trained with the hybrid loss ({@link DenoisingLoss}): its L_vlb term is
 * evaluated, as in the authors' code, at the point whose noise the target names: the posterior q(x_{t-1} | x, x_0) and
 * the model's mean at x = x_t + delta for {@code delta_detach} (delta held) and {@code delta}, at x = x_t for
 * {@code original}. Timesteps come from a {@link TimestepSampler}, each sample's loss weighted by its importance
 * weight; a loss-aware sampler records each sample's loss averaged over the K replays.
 */
public final class FreeAdversarialObjective implements TrainingObjective {
    /** Test hook: sees each replay's perturbation, input gradient and target. */
    interface ReplayObserver {
        void onReplay(int replay, Tensor delta, Tensor inputGradient, Tensor target, double loss);
    }

    private static final double TINY = 1e-12;
    private final AdversarialSettings settings;
    private final TimestepSampler timesteps;
    private ReplayObserver observer;

    /** Uniform timesteps. */
    public FreeAdversarialObjective(AdversarialSettings settings) {
        this(settings, TimestepSampler.UNIFORM);
    }

    public FreeAdversarialObjective(AdversarialSettings settings, TimestepSampler timesteps) {
        this.settings = given("adversarial settings", settings);
        this.timesteps = given("timestep sampler", timesteps);
    }

    public AdversarialSettings settings() {
        return settings;
    }

    void observe(ReplayObserver observer) {
        this.observer = observer;
    }

    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        try (PointerScope scope = new PointerScope()) {
            ForwardDraw d = ForwardDraw.draw(schedule, x0, labels, noise, timesteps);
            Tensor delta = torch.zeros_like(d.xt());
            Tensor sampleLossSum = torch.zeros(d.indices().length).to(ScalarType.Double);
            double lossSum = 0, deltaNorm = 0;
            for (int k = 0; k < settings.steps(); k++) {
                try (PointerScope replay = new PointerScope()) {
                    Tensor leaf = delta.clone().set_requires_grad(true);
                    Tensor target = target(d.eps(), leaf, d.indices(), schedule, settings.target());
                    Tensor input = d.xt().add(leaf);
                    DenoiserOutput out = model.predict(input, d.timesteps(), labels);
                    Tensor point = boundPoint(d.xt(), input, settings.target());
                    Tensor perSample = DenoisingLoss.perSample(schedule, d.indices(), out, target, point, x0, point);
                    Tensor loss = d.weightedMean(perSample);
                    loss.backward(); // one backward: parameter gradients and dL/d delta
                    if (timesteps.usesLosses()) {
                        try (NoGradScope ng = new NoGradScope()) {
                            sampleLossSum.add_(perSample.detach().to(ScalarType.Double));
                        }
                    }
                    Tensor g = leaf.grad();
                    double value = loss.item_double();
                    if (observer != null) observer.onReplay(k, leaf.detach(), g, target, value);
                    lossSum += value;
                    deltaNorm = perSampleNorm(leaf.detach()).mean().item_double();
                    update.apply(value);
                    if (k + 1 < settings.steps()) {
                        try (NoGradScope ng = new NoGradScope()) {
                            delta.copy_(ascend(leaf.detach(), g, settings));
                        }
                    }
                }
            }
            return StepStats.of(lossSum / settings.steps(), OptionalDouble.of(deltaNorm), settings.steps(), timesteps,
                    d.indices(), sampleLossSum, settings.steps());
        }
    }

    @Override
    public Optional<TimestepSampler> lossAwareTimesteps() {
        return Optional.of(timesteps).filter(TimestepSampler::usesLosses);
    }

    /**
     * The regression target for input x_t + delta: eps for {@code original}; eps + delta / sqrt(1 - abar_t) for
     * {@code delta_detach} (delta held) and {@code delta}, the noise for which sqrt(abar_t) x0 + sqrt(1 - abar_t) target
     * = x_t + delta (DDPM eq. 4).
     */
    public static Tensor target(Tensor eps, Tensor delta, int[] indices, NoiseSchedule schedule,
                                AdversarialSettings.Target target) {
        return switch (target) {
            case ORIGINAL -> eps;
            case DELTA_DETACH -> eps.add(delta.detach().div(schedule.perSample(indices, schedule::sqrtOneMinusAlphaBar)));
            case DELTA -> eps.add(delta.div(schedule.perSample(indices, schedule::sqrtOneMinusAlphaBar)));
        };
    }

    /** Where L_vlb is evaluated (see the class doc): x_t for {@code original}, x_t + delta otherwise. */
    static Tensor boundPoint(Tensor xt, Tensor perturbed, AdversarialSettings.Target target) {
        return switch (target) {
            case ORIGINAL -> xt;
            case DELTA_DETACH -> perturbed.detach();
            case DELTA -> perturbed;
        };
    }

    /** One ascent step from delta along the input gradient g, then the projection onto the budget (see class doc). */
    public static Tensor ascend(Tensor delta, Tensor g, AdversarialSettings s) {
        try (NoGradScope ng = new NoGradScope()) {
            if (s.norm() == AdversarialSettings.Norm.LINF) {
                // delta <- clip(delta + rho sign(g), -alpha, alpha)
                return delta.add(g.sign().mul(new Scalar(s.rho())))
                        .clamp(new ScalarOptional(new Scalar(-s.alpha())), new ScalarOptional(new Scalar(s.alpha())));
            }
            // delta <- delta + rho g / ||g||_2 (per sample)
            Tensor next = delta.add(g.div(perSampleNorm(g).clamp_min(new Scalar(TINY))).mul(new Scalar(s.rho())));
            // project onto ||delta||_2 <= alpha sqrt(C H W)
            double radius = s.alpha() * Math.sqrt((double) delta.numel() / delta.size(0));
            Tensor scale = torch.clamp_max(perSampleNorm(next).clamp_min(new Scalar(TINY)).reciprocal()
                    .mul(new Scalar(radius)), new Scalar(1.0));
            return next.mul(scale);
        }
    }

    /** ||x_b||_2 for every sample b, shaped [B, 1, ..., 1] to broadcast over x. */
    public static Tensor perSampleNorm(Tensor x) {
        long[] shape = new long[(int) x.dim()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = x.size(0);
        return x.reshape(x.size(0), -1).square().sum(new long[] {1}, false, new ScalarTypeOptional()).sqrt().reshape(shape);
    }
}
