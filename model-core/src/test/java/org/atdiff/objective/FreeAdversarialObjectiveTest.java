package org.atdiff.objective;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.objective.AdversarialSettings.Norm;
import org.atdiff.objective.AdversarialSettings.Target;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SingleThreadedTorch.class)
class FreeAdversarialObjectiveTest {

    private static final int B = 4, C = 3, S = 8;
    private final NoiseSchedule schedule = new LinearSchedule(100);

    private static double[] perSampleNorms(float[] x, int b) {
        int n = x.length / b;
        double[] out = new double[b];
        for (int i = 0; i < b; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += (double) x[i * n + j] * x[i * n + j];
            out[i] = Math.sqrt(s);
        }
        return out;
    }

    @Test
    void l2PerturbationNeverLeavesTheBallAndTheProjectionIsActive() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(C, 8, 100, 1);
            double alpha = 0.05;
            double radius = alpha * Math.sqrt(C * S * S);
            FreeAdversarialObjective at = new FreeAdversarialObjective(new AdversarialSettings(5, 100.0, alpha, Norm.L2, Target.DELTA_DETACH));
            List<double[]> norms = new ArrayList<>();
            at.observe((k, delta, g, target, loss) -> norms.add(perSampleNorms(HostTensors.toFloats(delta), B)));
            StepStats stats = at.step(model, schedule, ColouredSquares.batch(new RandomStream(3), B, S), null,
                    BatchNoise.forSamples(4, 0, B), new AdamWUpdate(model, 1e-3));
            assertEquals(5, norms.size());
            assertEquals(5, stats.updates());
            for (double n : norms.get(0)) assertEquals(0.0, n);
            double sum = 0;
            for (int k = 1; k < 5; k++) {
                for (double n : norms.get(k)) {
                    assertTrue(n <= radius * (1 + 1e-6), "||delta|| = " + n + " exceeds " + radius);
                    assertEquals(radius, n, radius * 1e-5, "a step of 100 must be projected back to the sphere");
                }
            }
            for (double n : norms.get(4)) sum += n;
            assertEquals(sum / B, stats.deltaNorm().orElseThrow(), 1e-5);
        }
    }

    @Test
    void linfPerturbationStaysInTheBox() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(C, 8, 100, 1);
            double alpha = 0.08;
            FreeAdversarialObjective at = new FreeAdversarialObjective(new AdversarialSettings(4, 0.05, alpha, Norm.LINF, Target.ORIGINAL));
            List<float[]> deltas = new ArrayList<>();
            at.observe((k, delta, g, target, loss) -> deltas.add(HostTensors.toFloats(delta)));
            at.step(model, schedule, ColouredSquares.batch(new RandomStream(3), B, S), null, BatchNoise.forSamples(4, 0, B),
                    new AdamWUpdate(model, 1e-3));
            int atBound = 0;
            for (float[] d : deltas) {
                for (float v : d) {
                    assertTrue(Math.abs(v) <= alpha + 1e-7, "|delta_i| = " + v + " exceeds " + alpha);
                    if (Math.abs(Math.abs(v) - alpha) < 1e-6) atBound++;
                }
            }
            assertTrue(atBound > 0, "after 3 ascent steps of 0.05 some coordinates must sit on the box");
            // the second replay's delta is exactly rho sign(g_0) (inside the box)
            for (float v : deltas.get(1)) assertTrue(Math.abs(Math.abs(v) - 0.05) < 1e-7 || v == 0f);
        }
    }

    @Test
    void withZeroStepSizeAndOriginalTargetKReplaysAreKPlainStepsOnTheSameDraw() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x0 = ColouredSquares.batch(new RandomStream(11), B, S);
            TinyConvDenoiser a = new TinyConvDenoiser(C, 8, 100, 5);
            TinyConvDenoiser b = new TinyConvDenoiser(C, 8, 100, 5);
            assertArrayEquals(a.weights(), b.weights());
            AdamWUpdate ua = new AdamWUpdate(a, 1e-2), ub = new AdamWUpdate(b, 1e-2);
            new FreeAdversarialObjective(new AdversarialSettings(3, 0.0, 0.1, Norm.L2, Target.ORIGINAL))
                    .step(a, schedule, x0, null, BatchNoise.forSamples(21, 0, B), ua);
            PlainObjective plain = new PlainObjective();
            for (int k = 0; k < 3; k++) plain.step(b, schedule, x0, null, BatchNoise.forSamples(21, 0, B), ub);
            assertEquals(ub.losses, ua.losses);
            float[] wa = a.weights(), wb = b.weights();
            assertArrayEquals(wb, wa, "bit-for-bit: delta stays exactly 0");
            assertNotEquals(ua.losses.get(0), ua.losses.get(2), "the replays must have trained the model");
        }
    }

    @Test
    void deltaDetachTargetIsTheNoiseThatExplainsThePerturbedInput() {
        try (PointerScope scope = new PointerScope()) {
            int[] t = {0, 10, 50, 99};
            float[] eps = new RandomStream(1).gaussians(B * 5);
            float[] delta = new RandomStream(2).gaussians(B * 5);
            Tensor e = HostTensors.fromFloats(eps, B, 5), d = HostTensors.fromFloats(delta, B, 5).reshape(B, 5, 1, 1);
            e = e.reshape(B, 5, 1, 1);
            float[] got = HostTensors.toFloats(FreeAdversarialObjective.target(e, d, t, schedule, Target.DELTA_DETACH));
            for (int b = 0; b < B; b++) {
                for (int j = 0; j < 5; j++) {
                    int i = b * 5 + j;
                    double want = eps[i] + delta[i] / Math.sqrt(1 - schedule.alphaBar(t[b]));
                    assertEquals(want, got[i], 1e-5 * Math.abs(want) + 1e-6);
                }
            }
            assertArrayEquals(eps, HostTensors.toFloats(FreeAdversarialObjective.target(e, d, t, schedule, Target.ORIGINAL)));
            // consistency with the forward process: sqrt(abar) x0 + sqrt(1 - abar) target = x_t + delta
            Tensor x0 = HostTensors.fromFloats(new RandomStream(3).gaussians(B * 5), B, 5, 1, 1);
            Tensor lhs = schedule.addNoise(x0, FreeAdversarialObjective.target(e, d, t, schedule, Target.DELTA_DETACH), t);
            Tensor rhs = schedule.addNoise(x0, e, t).add(d);
            assertTrue(lhs.allclose(rhs, 1e-5, 1e-5, false));
        }
    }

    @Test
    void ascentStepHasLengthRhoAlongTheGradient() {
        try (PointerScope scope = new PointerScope()) {
            Tensor g = HostTensors.fromFloats(new float[] {3, 4, 0, 0, 0, 0, 0, -2}, 2, 4);
            Tensor zero = torch.zeros_like(g);
            AdversarialSettings s = new AdversarialSettings(2, 0.5, 10, Norm.L2, Target.ORIGINAL);
            assertArrayEquals(new float[] {0.3f, 0.4f, 0, 0, 0, 0, 0, -0.5f},
                    HostTensors.toFloats(FreeAdversarialObjective.ascend(zero, g, s)), 1e-7f);
            // a zero gradient leaves delta in place
            assertArrayEquals(new float[8], HostTensors.toFloats(FreeAdversarialObjective.ascend(zero, zero, s)));
            // projection: radius alpha sqrt(4) = 0.2 scales [0.3, 0.4] to [0.12, 0.16]
            AdversarialSettings small = new AdversarialSettings(2, 0.5, 0.1, Norm.L2, Target.ORIGINAL);
            assertArrayEquals(new float[] {0.12f, 0.16f, 0, 0, 0, 0, 0, -0.2f},
                    HostTensors.toFloats(FreeAdversarialObjective.ascend(zero, g, small)), 1e-7f);
        }
    }

    /**
     * The input gradient that drives the ascent comes from the same single backward as the parameter gradients, and
     * equals a central finite difference of the loss (double precision); the parameter gradients equal those of a
     * separate backward at the same perturbed input.
     */
    @Test
    void inputGradientOfTheSharedBackwardMatchesFiniteDifferences() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(C, 6, 100, 9, ScalarType.Double);
            Tensor x0 = ColouredSquares.batch(new RandomStream(2), 2, S).to(ScalarType.Double);
            AdversarialSettings s = new AdversarialSettings(3, 0.3, 0.1, Norm.L2, Target.DELTA_DETACH);
            FreeAdversarialObjective at = new FreeAdversarialObjective(s);
            List<Tensor> deltas = new ArrayList<>(), grads = new ArrayList<>(), targets = new ArrayList<>();
            List<double[]> paramGrads = new ArrayList<>();
            at.observe((k, delta, g, target, loss) -> {
                deltas.add(delta.clone().retainReference());
                grads.add(g.clone().retainReference());
                targets.add(target.detach().clone().retainReference());
            });
            // keep the weights fixed so every replay can be recomputed afterwards
            at.step(model, schedule, x0, null, BatchNoise.forSamples(8, 0, 2), loss -> {
                paramGrads.add(HostTensors.toDoubles(model.parameters().get(0).grad()));
                AdamWUpdate.zero(model.parameters());
            });
            ForwardDraw d = ForwardDraw.draw(schedule, x0, null, BatchNoise.forSamples(8, 0, 2));
            for (int k = 0; k < 3; k++) {
                Tensor delta = deltas.get(k), g = grads.get(k), target = targets.get(k);
                if (k > 0) {
                    assertTrue(FreeAdversarialObjective.ascend(deltas.get(k - 1), grads.get(k - 1), s).allclose(delta, 1e-12, 1e-12, false),
                            "replay " + k + " must use the ascent from the previous gradient");
                }
                // directional derivative along a random direction v: <g, v> vs (L(delta + h v) - L(delta - h v)) / 2h
                Tensor v = new RandomStream(100 + k).normal(HostTensors.shape(delta)).to(ScalarType.Double);
                double h = 1e-5;
                double lp = simpleLoss(model.predictNoise(d.xt().add(delta.add(v.mul(new org.bytedeco.pytorch.Scalar(h)))), d.timesteps(), null), target).item_double();
                double lm = simpleLoss(model.predictNoise(d.xt().add(delta.sub(v.mul(new org.bytedeco.pytorch.Scalar(h)))), d.timesteps(), null), target).item_double();
                double fd = (lp - lm) / (2 * h);
                double analytic = g.mul(v).sum().item_double();
                assertEquals(fd, analytic, 1e-6 * Math.abs(analytic) + 1e-10, "replay " + k);
                // parameter gradient of a fresh backward at the same input
                Tensor loss = simpleLoss(model.predictNoise(d.xt().add(delta), d.timesteps(), null), target);
                loss.backward();
                assertArrayEquals(HostTensors.toDoubles(model.parameters().get(0).grad()), paramGrads.get(k), 1e-12);
                AdamWUpdate.zero(model.parameters());
            }
        }
    }

    /**
     * With {@code delta} the ascent direction is the gradient of the loss whose target moves with delta (a central
     * difference of L(delta) = L_simple(eps_theta(x_t + delta), eps + delta / sqrt(1 - abar_t))); with
     * {@code delta_detach} it is the gradient with the target held. Same draws, same weights: the two differ.
     */
    @Test
    void deltaTargetAscendsOnTheLossWhoseTargetMovesAndDeltaDetachHoldsIt() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(C, 6, 100, 9, ScalarType.Double);
            Tensor x0 = ColouredSquares.batch(new RandomStream(3), 2, S).to(ScalarType.Double);
            ForwardDraw d = ForwardDraw.draw(schedule, x0, null, BatchNoise.forSamples(9, 0, 2));
            Tensor sigma = schedule.perSample(d.indices(), schedule::sqrtOneMinusAlphaBar);
            Tensor v = new RandomStream(77).normal(HostTensors.shape(d.xt())).to(ScalarType.Double);
            double h = 1e-5;
            double[] analytic = new double[2];
            Target[] targets = {Target.DELTA, Target.DELTA_DETACH};
            for (int i = 0; i < 2; i++) {
                List<Tensor> grads = new ArrayList<>();
                FreeAdversarialObjective at = new FreeAdversarialObjective(new AdversarialSettings(2, 0.1, 0.1, Norm.L2, targets[i]));
                at.observe((k, delta, g, target, loss) -> grads.add(g.clone().retainReference()));
                at.step(model, schedule, x0, null, BatchNoise.forSamples(9, 0, 2), loss -> AdamWUpdate.zero(model.parameters()));
                analytic[i] = grads.get(0).mul(v).sum().item_double(); // replay 0: delta = 0
            }
            Tensor hv = v.mul(new org.bytedeco.pytorch.Scalar(h));
            double moving = (simpleLoss(model.predictNoise(d.xt().add(hv), d.timesteps(), null), d.eps().add(hv.div(sigma))).item_double()
                    - simpleLoss(model.predictNoise(d.xt().sub(hv), d.timesteps(), null), d.eps().sub(hv.div(sigma))).item_double()) / (2 * h);
            double held = (simpleLoss(model.predictNoise(d.xt().add(hv), d.timesteps(), null), d.eps()).item_double()
                    - simpleLoss(model.predictNoise(d.xt().sub(hv), d.timesteps(), null), d.eps()).item_double()) / (2 * h);
            assertEquals(moving, analytic[0], 1e-6 * Math.abs(moving) + 1e-10, "delta: the target's move counts");
            assertEquals(held, analytic[1], 1e-6 * Math.abs(held) + 1e-10, "delta_detach: the target is held");
            assertTrue(Math.abs(moving - held) > 1e-3 * Math.abs(held), "the two directions differ: " + moving + ", " + held);
        }
    }

    /** The minibatch's L_simple (DDPM eq. 14) as the objective computes it for uniform t. */
    private static Tensor simpleLoss(Tensor prediction, Tensor target) {
        return DenoisingLoss.simple(org.atdiff.nn.DenoiserOutput.fixedVariance(prediction), target).mean();
    }

    @Test
    void settingsAreValidatedWithTheirNames() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdversarialSettings(0, 0.1, 0.1, Norm.L2, Target.ORIGINAL))
                .getMessage().contains("at.steps"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdversarialSettings(3, -1, 0.1, Norm.L2, Target.ORIGINAL))
                .getMessage().contains("at.rho"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdversarialSettings(3, 0.1, Double.NaN, Norm.L2, Target.ORIGINAL))
                .getMessage().contains("at.alpha"));
        String m = assertThrows(IllegalArgumentException.class, () -> Norm.named("l1")).getMessage();
        assertTrue(m.contains("'l1'") && m.contains("l2, linf"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Target.named("detach")).getMessage();
        assertTrue(m.contains("'detach'") && m.contains("delta_detach, delta, original"), m);
        assertEquals(Norm.LINF, Norm.named("linf"));
        assertEquals(Target.DELTA_DETACH, Target.named("delta_detach"));
        assertEquals(Target.DELTA, Target.named("delta"));
    }
}
