package org.atdiff.consistency;

import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.ParameterUpdate;
import org.atdiff.objective.StepStats;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.bytedeco.pytorch.Tensor;

/**
 * Consistency training without a teacher, in the improved form of Song and Dhariwal ("Improved Techniques for Training
 * Consistency Models", 2023; {@code train.objective = ct}): z ~ N(0, I), x_{n+1} = x0 + sigma_{n+1} z and
 * x^_n = x0 + sigma_n z (the same z: Song et al. 2023, Algorithm 3), loss lambda_n d(f_theta(x_{n+1}), f_{theta^-}(x^_n))
 * with
 * <ul>
 *   <li>the discretisation curriculum N(k) = min(s0 2^{floor(k/K')}, s1) + 1, K' = floor(K / (log2 floor(s1/s0) + 1))
 *       at minibatch step k of K (sec. 3.4), capped at T points;</li>
 *   <li>n drawn with p(n) proportional to erf((ln sigma_{n+1} - P_mean) / (sqrt2 P_std)) - erf((ln sigma_n - P_mean) /
 *       (sqrt2 P_std)), P_mean = -1.1, P_std = 2 (sec. 3.5);</li>
 *   <li>lambda_n = 1 / (sigma_{n+1} - sigma_n) (sec. 3.1); the target is the student behind a stop-gradient (sec. 3.2,
 *       {@link TargetNetwork#stopGradient}) and the metric {@code cm.metric} (pseudo-Huber in sec. 3.3).</li>
 * </ul>
 * Row b draws from its own stream: n (one {@code nextUniform}), then z. The curriculum counts minibatch steps: {@link #resumeAt} sets the
 * count when a run resumes.
 */
public final class ConsistencyTrainingObjective extends ConsistencyObjective {
    static final double P_MEAN = -1.1, P_STD = 2.0;
    private final int initialSteps, finalSteps;
    private final double rho;
    private final long totalSteps;
    private long step;
    private ConsistencyDiscretization grid;
    private double[] cumulative;

    /**
     * @param target      the target network: {@link TargetNetwork#stopGradient} for iCT
     * @param settings    cm.* (ct-initial-steps, ct-final-steps, rho, metric, sigma-data)
     * @param totalSteps  K, the run's number of minibatch steps ({@code train.steps}), >= 1
     * @param adversarial free AT settings ({@code train.adversarial = true}), or null
     */
    public ConsistencyTrainingObjective(TargetNetwork target, ConsistencySettings settings, long totalSteps,
                                        AdversarialSettings adversarial) {
        super(settings.metric(), settings.sigmaData(), target, adversarial);
        if (totalSteps < 1) throw new IllegalArgumentException("train.steps must be >= 1: " + totalSteps);
        this.initialSteps = settings.ctInitialSteps();
        this.finalSteps = settings.ctFinalSteps();
        this.rho = settings.rho();
        this.totalSteps = totalSteps;
    }

    /** N(k), the number of discretisation points at minibatch step k (before the cap at T). */
    public int points(long k) {
        long stage = Math.max(1, (long) Math.floor(totalSteps / (log2(Math.floorDiv(finalSteps, initialSteps)) + 1)));
        long doublings = Math.min(k / stage, 62);
        return (int) Math.min((long) initialSteps << Math.min(doublings, 30), finalSteps) + 1;
    }

    /** Minibatch steps taken (the curriculum's k). */
    public long stepsTaken() {
        return step;
    }

    @Override
    public void resumeAt(long completedSteps) {
        if (completedSteps < 0) throw new IllegalArgumentException("completed steps must be >= 0: " + completedSteps);
        step = completedSteps;
    }

    @Override
    public StepStats step(TrainableDenoiser model, NoiseSchedule schedule, Tensor x0, Tensor labels, BatchNoise noise,
                          ParameterUpdate update) {
        StepStats s = super.step(model, schedule, x0, labels, noise, update);
        step++;
        return s;
    }

    /** The discretisation in use at the current step on {@code p}'s schedule. */
    @Override
    public ConsistencyDiscretization discretization(ConsistencyParameterization p) {
        int n = Math.min(points(step), p.timesteps());
        if (grid == null || grid.parameterization() != p || grid.points() != n) {
            grid = new ConsistencyDiscretization(p, n, rho);
            cumulative = new double[n - 1];
            double total = 0;
            for (int i = 0; i < n - 1; i++) { // p(n) of sec. 3.5, accumulated
                total += erf((Math.log(grid.sigma(i + 1)) - P_MEAN) / (Math.sqrt(2) * P_STD))
                        - erf((Math.log(grid.sigma(i)) - P_MEAN) / (Math.sqrt(2) * P_STD));
                cumulative[i] = total;
            }
            for (int i = 0; i < n - 1; i++) cumulative[i] /= total;
        }
        return grid;
    }

    /** n with probability p(n) (sec. 3.5) by inverting the cumulative distribution at one uniform draw. */
    @Override
    int index(ConsistencyDiscretization d, RandomStream stream) {
        double u = stream.nextUniform();
        int n = 0;
        while (n < cumulative.length - 1 && cumulative[n] <= u) n++;
        return n;
    }

    @Override
    double weight(ConsistencyDiscretization d, int n) {
        return 1 / (d.sigma(n + 1) - d.sigma(n)); // sec. 3.1
    }

    /** x0 + sigma_n z with the z of x_{n+1} (Algorithm 3). */
    @Override
    Tensor lowerInput(ConsistencyParameterization p, Tensor x0, Tensor z, Tensor xUpper, int[] upper, int[] lower,
                      Tensor labels) {
        return x0.add(z.mul(p.perSample(lower.length, i -> p.sigma(lower[i]), x0)));
    }

    private static double log2(long v) {
        return Math.log(v) / Math.log(2);
    }

    /** erf by Abramowitz and Stegun 7.1.26 (absolute error <= 1.5e-7), enough for sampling probabilities. */
    static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double y = 1 - poly * Math.exp(-x * x);
        return x >= 0 ? y : -y;
    }
}
