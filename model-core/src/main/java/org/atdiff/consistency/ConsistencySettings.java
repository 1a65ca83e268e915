package org.atdiff.consistency;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.given;
import static org.atdiff.settings.SettingChecks.inRange;
import static org.atdiff.settings.SettingChecks.positive;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Settings of consistency distillation and consistency training and of consistency sampling (conf block {@code cm}).
 *
 * @param teacher         {@code cm.teacher}: checkpoint of the DPM teacher whose EMA weights {@code cd} distils
 *                        ("" when unused)
 * @param solver          {@code cm.solver}: the teacher's ODE step between adjacent points (cd)
 * @param discretization  {@code cm.discretization}: N, the number of discretisation points for cd (Song et al.
 *                        2023 use 18 on CIFAR-10), >= 2
 * @param ctInitialSteps  {@code cm.ct-initial-steps}: s0 of the iCT curriculum, N(0) = s0 + 1 (Song and Dhariwal
 *                        2023: 10), >= 1
 * @param ctFinalSteps    {@code cm.ct-final-steps}: s1 of the iCT curriculum, the largest N - 1 (1280), >= s0;
 *                        s0 = s1 fixes N
 * @param rho             {@code cm.rho}: exponent of the Karras noise levels of the discretisation (7), > 0
 * @param metric          {@code cm.metric}: the distance in the consistency loss
 * @param emaRate         {@code cm.ema-rate}: mu, the target network's EMA rate for cd (Song et al. 2023: 0.95),
 *                        in [0, 1); ct uses the student itself (mu = 0, Song and Dhariwal 2023)
 * @param sigmaData       {@code cm.sigma-data}: sigma_data of the skip/out parameterisation (0.5), > 0
 * @param samplingTimes   {@code cm.sampling-times}: the re-noising timesteps tau_1 > tau_2 > ... of multistep
 *                        sampling (Song et al. 2023, Algorithm 1); k steps use the first k - 1; empty = the
 *                        trailing timesteps of k steps
 */
public record ConsistencySettings(String teacher, TeacherSolver solver, int discretization, int ctInitialSteps,
        int ctFinalSteps, double rho, ConsistencyMetric metric, double emaRate, double sigmaData, int[] samplingTimes)
        implements Serializable {

    public ConsistencySettings {
        if (teacher == null) throw new IllegalArgumentException("cm.teacher must be given (\"\" when unused)");
        given("cm.solver", solver);
        atLeast("cm.discretization", discretization, 2);
        atLeast("cm.ct-initial-steps", ctInitialSteps, 1);
        atLeast("cm.ct-final-steps (at least cm.ct-initial-steps)", ctFinalSteps, ctInitialSteps);
        positive("cm.rho", rho);
        given("cm.metric", metric);
        inRange("cm.ema-rate", emaRate, 0, 1, true);
        positive("cm.sigma-data", sigmaData);
        if (samplingTimes == null) throw new IllegalArgumentException("cm.sampling-times must be given ([] for the default)");
        samplingTimes = samplingTimes.clone();
        for (int i = 0; i < samplingTimes.length; i++) {
            if (samplingTimes[i] < 0 || (i > 0 && samplingTimes[i] >= samplingTimes[i - 1])) {
                throw new IllegalArgumentException("cm.sampling-times must be strictly decreasing timesteps >= 0: "
                        + Arrays.toString(samplingTimes));
            }
        }
    }

    @Override
    public int[] samplingTimes() {
        return samplingTimes.clone();
    }

    /** These settings with the re-noising times {@code times} (a sampling command's {@code cm.sampling-times}). */
    public ConsistencySettings withSamplingTimes(int[] times) {
        return new ConsistencySettings(teacher, solver, discretization, ctInitialSteps, ctFinalSteps, rho, metric,
                emaRate, sigmaData, times);
    }

    /** The teacher checkpoint, required for {@code train.objective = cd}. */
    public String requireTeacher() {
        if (teacher.isBlank()) {
            throw new IllegalArgumentException("cm.teacher must name the DPM checkpoint to distil for train.objective = cd");
        }
        return teacher;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConsistencySettings s && teacher.equals(s.teacher) && solver == s.solver
                && discretization == s.discretization && ctInitialSteps == s.ctInitialSteps
                && ctFinalSteps == s.ctFinalSteps && Double.compare(rho, s.rho) == 0 && metric == s.metric
                && Double.compare(emaRate, s.emaRate) == 0 && Double.compare(sigmaData, s.sigmaData) == 0
                && Arrays.equals(samplingTimes, s.samplingTimes);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hash(teacher, solver, discretization, ctInitialSteps, ctFinalSteps, rho, metric,
                emaRate, sigmaData) + Arrays.hashCode(samplingTimes);
    }

    @Override
    public String toString() {
        return "ConsistencySettings[teacher=" + teacher + ", solver=" + solver.label() + ", discretization="
                + discretization + ", ct-initial-steps=" + ctInitialSteps + ", ct-final-steps=" + ctFinalSteps
                + ", rho=" + rho + ", metric=" + metric.label() + ", ema-rate=" + emaRate + ", sigma-data=" + sigmaData
                + ", sampling-times=" + Arrays.toString(samplingTimes) + "]";
    }
}
