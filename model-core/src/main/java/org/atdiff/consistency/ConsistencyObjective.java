package org.atdiff.consistency;

import static org.atdiff.settings.SettingChecks.given;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.io.Checkpoint;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.CheckpointedState;
import org.atdiff.objective.FreeAdversarialObjective;
import org.atdiff.objective.ParameterUpdate;
import org.atdiff.objective.StepStats;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The consistency loss and its optimisation, shared by distillation and training: per minibatch it draws pairs of
 * adjacent points (x_{n+1} at t_{n+1}, x^_n at t_n) and weights lambda_n, where a subclass says how n is drawn, the
 * weight and x^_n ({@link #draw}); the loss is
 * mean_b lambda_n d(f_theta(x_{n+1}, t_{n+1}), f_{theta^-}(x^_n, t_n)) (Song et al. 2023, eq. 7 and eq. 10), the
 * target evaluated without gradient, and the target network follows every optimizer step.
 *
 * <p>With adversarial settings the student's input is perturbed and the perturbation ascended by free replays, as
 * {@link FreeAdversarialObjective} does for the DPM (Wang et al., ICLR 2025; Shafahi et al. 2019): delta_0 = 0; K
 * times: one backward gives the parameter gradients and g = dL/d delta, the optimizer steps, the target network
 * updates, and delta ascends along g and is projected ({@link FreeAdversarialObjective#ascend}). delta lives on the
 * network's input scale, x_t + delta with x_t = sqrt(abar) x, so that rho and alpha mean what they mean for the DPM;
 * in CM coordinates the student sees x_{n+1} + delta / sqrt(abar_{n+1}). The target at t_n is not perturbed (so
 * {@code at.target} has no effect here); it is re-evaluated at every replay because theta^- follows theta.
 *
 * <p>The objective's checkpointed state is the target network's own weights (an EMA target) under
 * {@link Checkpoint#TARGET}.
 */
abstract class ConsistencyObjective implements TrainingObjective {
    /** Test hook: sees each replay's perturbation (network-input scale) and its input gradient (null without AT). */
    interface ReplayObserver {
        void onReplay(int replay, Tensor delta, Tensor inputGradient, double loss);
    }

    /**
     * One draw of the objective for a minibatch.
     *
     * @param upper  t_{n+1} per sample (schedule timesteps)
     * @param lower  t_n per sample
     * @param xUpper x_{n+1}, the student's input, CM coordinates
     * @param xLower x^_n, the target's input, CM coordinates
     * @param weight lambda(t_n), [B]
     */
    record Pair(int[] upper, int[] lower, Tensor xUpper, Tensor xLower, Tensor weight) {}

    private final ConsistencyMetric metric;
    private final double sigmaData;
    private final TargetNetwork target;
    private final AdversarialSettings adversarial;
    private ConsistencyParameterization parameterization;
    private ReplayObserver observer;

    /** @param adversarial free AT settings, or null for one plain update per minibatch */
    ConsistencyObjective(ConsistencyMetric metric, double sigmaData, TargetNetwork target, AdversarialSettings adversarial) {
        this.metric = given("cm.metric", metric);
        this.sigmaData = sigmaData;
        this.target = given("target network", target);
        this.adversarial = adversarial;
    }

    /** The batch size B of x0, after checking x0 [B, C, H, W], labels [B] or null and one noise stream per row. */
    static int batchSize(Tensor x0, Tensor labels, BatchNoise noise) {
        if (x0 == null || x0.dim() != 4 || x0.size(0) < 1 || !x0.is_floating_point()) {
            throw new IllegalArgumentException("x0 must be a floating-point tensor [B, C, H, W] with B >= 1, got "
                    + (x0 == null ? "null" : java.util.Arrays.toString(HostTensors.shape(x0))));
        }
        int b = Math.toIntExact(x0.size(0));
        if (labels != null && (labels.dim() != 1 || labels.size(0) != b)) {
            throw new IllegalArgumentException("labels must have shape [" + b + "], got "
                    + java.util.Arrays.toString(HostTensors.shape(labels)));
        }
        if (noise == null || noise.rows() != b) {
            throw new IllegalArgumentException("batch noise must have one stream per row (" + b + "), got "
                    + (noise == null ? "null" : noise.rows()));
        }
        return b;
    }

    /**
     * Draws the pairs of this minibatch (without gradient recording): x_{n+1} = x0 + sigma_{n+1} z (Song et al. 2023,
     * Algorithms 2 and 3). Row b draws only from {@code noise.stream(b)}: first its discretisation index n
     * ({@link #index}), then its z ~ N(0, I) (via {@link BatchNoise#normal}).
     */
    final Pair draw(ConsistencyParameterization p, Tensor x0, Tensor labels, BatchNoise noise) {
        ConsistencyDiscretization d = discretization(p);
        int b = batchSize(x0, labels, noise);
        int[] upper = new int[b], lower = new int[b];
        double[] lambda = new double[b];
        for (int i = 0; i < b; i++) {
            int n = index(d, noise.stream(i));
            lower[i] = d.timestep(n);
            upper[i] = d.timestep(n + 1);
            lambda[i] = weight(d, n);
        }
        long[] shape = HostTensors.shape(x0);
        Tensor z = noise.normal(java.util.Arrays.copyOfRange(shape, 1, shape.length)).to(x0.scalar_type());
        Tensor xUpper = x0.add(z.mul(p.perSample(b, i -> p.sigma(upper[i]), x0)));
        return new Pair(upper, lower, xUpper, lowerInput(p, x0, z, xUpper, upper, lower, labels),
                HostTensors.fromDoubles(lambda, b).to(x0.scalar_type()));
    }

    /** The discretisation in use on the parameterisation's schedule. */
    public abstract ConsistencyDiscretization discretization(ConsistencyParameterization p);

    /** A row's index n in [0, N - 1), drawn from its stream. */
    abstract int index(ConsistencyDiscretization d, RandomStream stream);

    /** The loss weight lambda_n. */
    abstract double weight(ConsistencyDiscretization d, int n);

    /** x^_n, the target's input, given x0, the rows' z and x_{n+1}. */
    abstract Tensor lowerInput(ConsistencyParameterization p, Tensor x0, Tensor z, Tensor xUpper, int[] upper,
                               int[] lower, Tensor labels);

    public TargetNetwork target() {
        return target;
    }

    /** The free AT settings, or null. */
    public AdversarialSettings adversarial() {
        return adversarial;
    }

    public ConsistencyMetric metric() {
        return metric;
    }

    @Override
    public LinkedHashMap<String, Tensor> state() {
        LinkedHashMap<String, Tensor> s = new LinkedHashMap<>();
        CheckpointedState.putPrefixed(s, Checkpoint.TARGET, target);
        return s;
    }

    @Override
    public void restore(Map<String, Tensor> saved, String source) {
        target.restore(CheckpointedState.under(Checkpoint.TARGET, saved), source);
    }

    void observe(ReplayObserver observer) {
        this.observer = observer;
    }

    /** The parameterisation on {@code schedule} (built once per schedule). */
    ConsistencyParameterization parameterization(NoiseSchedule schedule) {
        if (parameterization == null || parameterization.schedule() != schedule) {
            parameterization = new ConsistencyParameterization(schedule, sigmaData);
        }
        return parameterization;
    }

    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        try (PointerScope scope = new PointerScope()) {
            ConsistencyParameterization p = parameterization(schedule);
            Pair pair;
            try (NoGradScope ng = new NoGradScope()) {
                pair = draw(p, x0, labels, noise);
            }
            int replays = adversarial == null ? 1 : adversarial.steps();
            Tensor delta = adversarial == null ? null : torch.zeros_like(pair.xUpper());
            Tensor toCm = adversarial == null ? null
                    : p.perSample(pair.upper().length, b -> 1 / p.schedule().sqrtAlphaBar(pair.upper()[b]), pair.xUpper());
            double lossSum = 0, deltaNorm = 0;
            for (int k = 0; k < replays; k++) {
                try (PointerScope replay = new PointerScope()) {
                    Tensor fTarget;
                    try (NoGradScope ng = new NoGradScope()) {
                        fTarget = p.consistency(target.network(), pair.xLower(), pair.lower(), labels);
                    }
                    Tensor input = pair.xUpper(), leaf = null;
                    if (adversarial != null) {
                        leaf = delta.clone().set_requires_grad(true);
                        input = input.add(leaf.mul(toCm)); // x_t + delta on the network's scale
                    }
                    Tensor fStudent = p.consistency(model, input, pair.upper(), labels);
                    Tensor loss = metric.perSample(fStudent, fTarget).mul(pair.weight()).mean();
                    loss.backward(); // one backward: parameter gradients and, with AT, dL/d delta
                    double value = loss.item_double();
                    Tensor g = leaf == null ? null : leaf.grad();
                    if (observer != null) observer.onReplay(k, leaf == null ? null : leaf.detach(), g, value);
                    lossSum += value;
                    if (leaf != null) deltaNorm = FreeAdversarialObjective.perSampleNorm(leaf.detach()).mean().item_double();
                    update.apply(value);
                    target.update();
                    if (leaf != null && k + 1 < replays) {
                        try (NoGradScope ng = new NoGradScope()) {
                            delta.copy_(FreeAdversarialObjective.ascend(leaf.detach(), g, adversarial));
                        }
                    }
                }
            }
            return new StepStats(lossSum / replays,
                    adversarial == null ? OptionalDouble.empty() : OptionalDouble.of(deltaNorm), replays);
        }
    }
}
