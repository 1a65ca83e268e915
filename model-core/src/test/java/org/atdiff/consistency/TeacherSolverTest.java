package org.atdiff.consistency;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.random.RandomStream;
import org.atdiff.sampling.GaussianDataDenoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

class TeacherSolverTest {
    private final NoiseSchedule schedule = new LinearSchedule(1000);
    private final ConsistencyParameterization p = new ConsistencyParameterization(schedule, 0.5);
    private static final double M = 0.3, S = 0.2;

    /** Euler in sigma on CM coordinates is deterministic DDIM: x_t' = sqrt(abar') x0^ + sqrt(1 - abar') eps^. */
    @Test
    void ddimStepIsDdimInDiffusionCoordinates() {
        try (PointerScope scope = new PointerScope()) {
            GaussianDataDenoiser teacher = new GaussianDataDenoiser(schedule, M, S);
            int[] from = {10, 400, 999}, to = {0, 350, 900};
            Tensor xt = new RandomStream(3).normal(3, 1, 4, 4).to(ScalarType.Double);
            Tensor got = p.toDiffusion(TeacherSolver.DDIM.step(teacher, p, p.fromDiffusion(xt, from), from, to, null), to);
            Tensor eps = teacher.predictNoise(xt, schedule.modelTimesteps(from), null);
            Tensor x0 = xt.sub(eps.mul(schedule.perSample(from, schedule::sqrtOneMinusAlphaBar).to(ScalarType.Double)))
                    .div(schedule.perSample(from, schedule::sqrtAlphaBar).to(ScalarType.Double));
            Tensor want = schedule.addNoise(x0, eps, to); // DDIM eq. 12, sigma_t = 0
            assertTrue(got.allclose(want, 1e-6, 1e-6, false)); // the teacher's coefficients are float
        }
    }

    /**
     * For N(m, s^2) data the probability-flow ODE keeps (x - m) / sqrt(s^2 + sigma^2) fixed. The local error of one
     * step shrinks as h^2 for DDIM (Euler) and as h^3 for Heun: the order estimated from two step sizes.
     */
    @Test
    void heunHasThirdOrderLocalErrorAndDdimSecond() {
        try (PointerScope scope = new PointerScope()) {
            GaussianDataDenoiser teacher = new GaussianDataDenoiser(schedule, M, S);
            double[][] err = new double[2][2];
            double[] h = new double[2];
            int[] targets = {250, 275};
            for (int k = 0; k < 2; k++) {
                int[] from = {300, 300}, to = {targets[k], targets[k]};
                Tensor x = new RandomStream(4).normal(2, 1, 4, 4).to(ScalarType.Double)
                        .mul(new Scalar(Math.sqrt(S * S + p.sigma(300) * p.sigma(300)))).add(new Scalar(M));
                double ratio = Math.sqrt((S * S + p.sigma(to[0]) * p.sigma(to[0])) / (S * S + p.sigma(300) * p.sigma(300)));
                Tensor exact = x.sub(new Scalar(M)).mul(new Scalar(ratio)).add(new Scalar(M));
                err[0][k] = TeacherSolver.DDIM.step(teacher, p, x, from, to, null).sub(exact).abs().max().item_double();
                err[1][k] = TeacherSolver.HEUN.step(teacher, p, x, from, to, null).sub(exact).abs().max().item_double();
                h[k] = p.sigma(300) - p.sigma(to[0]);
            }
            double ddimOrder = Math.log(err[0][0] / err[0][1]) / Math.log(h[0] / h[1]);
            double heunOrder = Math.log(err[1][0] / err[1][1]) / Math.log(h[0] / h[1]);
            assertTrue(ddimOrder > 1.7 && ddimOrder < 2.6, "DDIM local order " + ddimOrder);
            assertTrue(heunOrder > 2.8, "Heun local order " + heunOrder);
            assertTrue(err[1][1] < 0.2 * err[0][1], "heun " + err[1][1] + " vs ddim " + err[0][1]);
            assertEquals(2, TeacherSolver.HEUN.evaluations());
            assertEquals(TeacherSolver.HEUN, TeacherSolver.named("heun"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TeacherSolver.named("rk4"));
            assertTrue(e.getMessage().contains("cm.solver"), e.getMessage());
        }
    }
}
