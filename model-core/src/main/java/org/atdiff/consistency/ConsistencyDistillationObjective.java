package org.atdiff.consistency;

import org.atdiff.nn.Denoiser;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.random.RandomStream;
import org.bytedeco.pytorch.Tensor;

/**
 * Consistency distillation (Song et al., "Consistency Models", 2023, Algorithm 2; {@code train.objective = cd}):
 * n ~ U{0..N-2} per sample on the {@link ConsistencyDiscretization}, z ~ N(0, I), x_{n+1} = x0 + sigma_{n+1} z,
 * x^_n = one step of the frozen teacher's probability-flow ODE from x_{n+1} ({@link TeacherSolver}), and the loss
 * d(f_theta(x_{n+1}, t_{n+1}), f_{theta^-}(x^_n, t_n)) with lambda = 1, theta^- an EMA of the student. Row b draws
 * from its own stream: n ({@code nextInt}), then z. See {@link ConsistencyObjective} for the loss, the target and adversarial training.
 */
public final class ConsistencyDistillationObjective extends ConsistencyObjective {
    private final Denoiser teacher;
    private final TeacherSolver solver;
    private final int points;
    private final double rho;
    private ConsistencyDiscretization grid;

    /**
     * @param teacher     the DPM teacher (the EMA weights of a trained run), trained on the student's schedule
     * @param target      the target network, usually {@link TargetNetwork#ema} with {@code cm.ema-rate}
     * @param settings    cm.* (solver, discretization, rho, metric, sigma-data)
     * @param adversarial free AT settings ({@code train.adversarial = true}), or null
     */
    public ConsistencyDistillationObjective(Denoiser teacher, TargetNetwork target, ConsistencySettings settings,
                                            AdversarialSettings adversarial) {
        super(settings.metric(), settings.sigmaData(), target, adversarial);
        if (teacher == null) throw new IllegalArgumentException("consistency distillation needs a teacher (cm.teacher)");
        this.teacher = teacher;
        this.solver = settings.solver();
        this.points = settings.discretization();
        this.rho = settings.rho();
    }

    @Override
    public ConsistencyDiscretization discretization(ConsistencyParameterization p) {
        if (grid == null || grid.parameterization() != p) grid = new ConsistencyDiscretization(p, points, rho);
        return grid;
    }

    @Override
    int index(ConsistencyDiscretization d, RandomStream stream) {
        return stream.nextInt(d.points() - 1);
    }

    @Override
    double weight(ConsistencyDiscretization d, int n) {
        return 1; // lambda = 1 (Song et al. 2023, sec. 6)
    }

    @Override
    Tensor lowerInput(ConsistencyParameterization p, Tensor x0, Tensor z, Tensor xUpper, int[] upper, int[] lower,
                      Tensor labels) {
        return solver.step(teacher, p, xUpper, upper, lower, labels);
    }
}
