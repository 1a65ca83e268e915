package org.atdiff.consistency;

import org.atdiff.sampling.ConsistencySampler;
import org.atdiff.train.ReferenceSettings;
import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.objective.AdamWUpdate;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.AdversarialSettings.Norm;
import org.atdiff.objective.AdversarialSettings.Target;
import org.atdiff.objective.FreeAdversarialObjective;
import org.atdiff.objective.StepStats;
import org.atdiff.objective.TinyConvDenoiser;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.sampling.GaussianDataDenoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Consistency distillation from the closed-form teacher of Gaussian data, with and without free AT. */
@ExtendWith(SingleThreadedTorch.class)
class ConsistencyDistillationTest {

    private static final double M = 0.3, S = 0.2;
    private static final int T = 1000, SIZE = 8;
    private static final ConsistencySettings SETTINGS = ReferenceSettings.CM;

    private static ConsistencyDistillationObjective cd(NoiseSchedule schedule, TinyConvDenoiser student, long copySeed,
                                                       AdversarialSettings at) {
        TinyConvDenoiser copy = new TinyConvDenoiser(1, 16, T, copySeed);
        return new ConsistencyDistillationObjective(new GaussianDataDenoiser(schedule, M, S),
                TargetNetwork.ema(student, copy, SETTINGS.emaRate()), SETTINGS, at);
    }

    private static double oneStepDistance(TinyConvDenoiser student, NoiseSchedule schedule) {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = new ConsistencySampler(SETTINGS).generate(student, schedule, 1, null,
                    BatchNoise.forSamples(99, 0, 64), 1, SIZE, SIZE);
            return GaussianData.distance(GaussianData.moments(x), M, S);
        }
    }

    /**
     * A tiny student distilled from the exact teacher of N(m, s^2) data: one-step samples move toward (m, s). The
     * schedule ends at sigma_max of about 10 (see {@link MildSchedule}): at the linear schedule's 157 a one-step x0
     * from an eps-prediction network multiplies the network's error by 157, more than a few hundred steps of a
     * from-scratch 300-weight student can bring down.
     */
    @Test
    void oneStepSamplesMoveTowardTheDataAsDistillationProceeds() {
        try (PointerScope scope = new PointerScope()) {
            NoiseSchedule schedule = new MildSchedule(T, 0.009);
            TinyConvDenoiser student = new TinyConvDenoiser(1, 16, T, 1);
            ConsistencyDistillationObjective objective = cd(schedule, student, 2, null);
            AdamWUpdate update = new AdamWUpdate(student, 1e-3);
            RandomStream data = new RandomStream(3), rng = new RandomStream(4);
            double untrained = oneStepDistance(student, schedule);
            double[] distance = new double[3];
            for (int s = 0; s < 600; s++) {
                StepStats stats = objective.step(student, schedule, GaussianData.batch(data, 32, 1, SIZE, M, S), null,
                        BatchNoise.forSamples(rng.derive(s).seed(), 0, 32), update);
                assertEquals(1, stats.updates());
                assertTrue(stats.deltaNorm().isEmpty());
                if (s % 200 == 199) distance[s / 200] = oneStepDistance(student, schedule);
            }
            assertTrue(untrained > 0.6, "an untrained student is far from the data: " + untrained);
            assertTrue(distance[2] < 0.5 * untrained, "distance " + untrained + " -> " + java.util.Arrays.toString(distance));
            assertTrue(distance[2] < distance[0], "still improving: " + java.util.Arrays.toString(distance));
        }
    }

    @Test
    void withZeroStepSizeAndOneReplayAdversarialDistillationIsPlainDistillationBitForBit() {
        try (PointerScope scope = new PointerScope()) {
            NoiseSchedule schedule = new LinearSchedule(T);
            TinyConvDenoiser a = new TinyConvDenoiser(1, 16, T, 5), b = new TinyConvDenoiser(1, 16, T, 5);
            ConsistencyDistillationObjective at = cd(schedule, a, 6,
                    new AdversarialSettings(1, 0.0, 0.1, Norm.L2, Target.DELTA_DETACH));
            ConsistencyDistillationObjective plain = cd(schedule, b, 6, null);
            AdamWUpdate ua = new AdamWUpdate(a, 1e-2), ub = new AdamWUpdate(b, 1e-2);
            RandomStream data = new RandomStream(7);
            for (int s = 0; s < 3; s++) {
                Tensor x0 = GaussianData.batch(data, 8, 1, SIZE, M, S);
                StepStats sa = at.step(a, schedule, x0, null, BatchNoise.forSamples(20 + s, 0, 8), ua);
                plain.step(b, schedule, x0, null, BatchNoise.forSamples(20 + s, 0, 8), ub);
                assertEquals(0.0, sa.deltaNorm().orElseThrow());
            }
            assertEquals(ub.losses, ua.losses);
            assertArrayEquals(b.weights(), a.weights(), "student weights bit for bit");
            assertArrayEquals(flat(plain.target().state()), flat(at.target().state()), "target weights bit for bit");
            assertNotEquals(ua.losses.get(0), ua.losses.get(2));
        }
    }

    @Test
    void withZeroStepSizeKReplaysAreKPlainStepsOnTheSameDraw() {
        try (PointerScope scope = new PointerScope()) {
            NoiseSchedule schedule = new LinearSchedule(T);
            TinyConvDenoiser a = new TinyConvDenoiser(1, 16, T, 5), b = new TinyConvDenoiser(1, 16, T, 5);
            ConsistencyDistillationObjective at = cd(schedule, a, 6,
                    new AdversarialSettings(3, 0.0, 0.1, Norm.L2, Target.DELTA_DETACH));
            ConsistencyDistillationObjective plain = cd(schedule, b, 6, null);
            AdamWUpdate ua = new AdamWUpdate(a, 1e-2), ub = new AdamWUpdate(b, 1e-2);
            Tensor x0 = GaussianData.batch(new RandomStream(7), 8, 1, SIZE, M, S);
            assertEquals(3, at.step(a, schedule, x0, null, BatchNoise.forSamples(21, 0, 8), ua).updates());
            for (int k = 0; k < 3; k++) plain.step(b, schedule, x0, null, BatchNoise.forSamples(21, 0, 8), ub);
            assertEquals(ub.losses, ua.losses);
            assertArrayEquals(b.weights(), a.weights());
            assertArrayEquals(flat(plain.target().state()), flat(at.target().state()));
        }
    }

    private static double[] perSampleNorms(Tensor delta) {
        return HostTensors.toDoubles(FreeAdversarialObjective.perSampleNorm(delta).to(ScalarType.Double));
    }

    @Test
    void l2PerturbationOfTheStudentInputStaysInTheBallAndTheProjectionIsActive() {
        try (PointerScope scope = new PointerScope()) {
            NoiseSchedule schedule = new LinearSchedule(T);
            TinyConvDenoiser student = new TinyConvDenoiser(1, 16, T, 1);
            double alpha = 0.05, radius = alpha * Math.sqrt(SIZE * SIZE);
            ConsistencyDistillationObjective objective = cd(schedule, student, 2,
                    new AdversarialSettings(4, 100.0, alpha, Norm.L2, Target.DELTA_DETACH));
            List<double[]> norms = new ArrayList<>();
            objective.observe((k, delta, g, loss) -> {
                assertNotNull(g);
                norms.add(perSampleNorms(delta));
            });
            StepStats stats = objective.step(student, schedule, GaussianData.batch(new RandomStream(3), 4, 1, SIZE, M, S),
                    null, BatchNoise.forSamples(4, 0, 4), new AdamWUpdate(student, 1e-3));
            assertEquals(4, norms.size());
            assertEquals(4, stats.updates());
            for (double n : norms.get(0)) assertEquals(0.0, n);
            for (int k = 1; k < 4; k++) {
                for (double n : norms.get(k)) {
                    assertTrue(n <= radius * (1 + 1e-6), "||delta|| = " + n + " exceeds " + radius);
                    assertEquals(radius, n, radius * 1e-5, "a step of 100 is projected back to the sphere");
                }
            }
            double mean = 0;
            for (double n : norms.get(3)) mean += n / 4;
            assertEquals(mean, stats.deltaNorm().orElseThrow(), 1e-5);
        }
    }

    @Test
    void linfPerturbationStaysInTheBox() {
        try (PointerScope scope = new PointerScope()) {
            NoiseSchedule schedule = new LinearSchedule(T);
            TinyConvDenoiser student = new TinyConvDenoiser(1, 16, T, 1);
            double alpha = 0.08;
            ConsistencyDistillationObjective objective = cd(schedule, student, 2,
                    new AdversarialSettings(4, 0.05, alpha, Norm.LINF, Target.ORIGINAL));
            List<float[]> deltas = new ArrayList<>();
            objective.observe((k, delta, g, loss) -> deltas.add(HostTensors.toFloats(delta)));
            objective.step(student, schedule, GaussianData.batch(new RandomStream(3), 4, 1, SIZE, M, S), null,
                    BatchNoise.forSamples(4, 0, 4), new AdamWUpdate(student, 1e-3));
            int atBound = 0;
            for (float[] d : deltas) {
                for (float v : d) {
                    assertTrue(Math.abs(v) <= alpha + 1e-7, "|delta_i| = " + v);
                    if (Math.abs(Math.abs(v) - alpha) < 1e-6) atBound++;
                }
            }
            assertTrue(atBound > 0, "three steps of 0.05 reach the box");
        }
    }

    /**
     * The input gradient of the shared backward is dL/d delta for the perturbation on the network's input scale (the
     * student sees x_{n+1} + delta / sqrt(abar_{n+1}) in CM coordinates), checked by central differences in double
     * precision; the target is the unperturbed EMA network at x^_n.
     */
    @Test
    void inputGradientMatchesFiniteDifferencesAndTheTargetIsNotPerturbed() {
        try (PointerScope scope = new PointerScope()) {
            NoiseSchedule schedule = new LinearSchedule(T);
            TinyConvDenoiser student = new TinyConvDenoiser(1, 6, T, 9, ScalarType.Double);
            TinyConvDenoiser copy = new TinyConvDenoiser(1, 6, T, 10, ScalarType.Double);
            AdversarialSettings s = new AdversarialSettings(3, 0.3, 0.1, Norm.L2, Target.DELTA_DETACH);
            ConsistencySettings settings = new ConsistencySettings("", TeacherSolver.HEUN, 18, 10, 1280, 7,
                    ConsistencyMetric.PSEUDO_HUBER, 0.95, 0.5, new int[0]);
            ConsistencyDistillationObjective objective = new ConsistencyDistillationObjective(
                    new GaussianDataDenoiser(schedule, M, S), TargetNetwork.ema(student, copy, 0.95), settings, s);
            Tensor x0 = GaussianData.batch(new RandomStream(2), 3, 1, SIZE, M, S).to(ScalarType.Double);
            List<Tensor> deltas = new ArrayList<>(), grads = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            objective.observe((k, delta, g, loss) -> {
                deltas.add(delta.clone().retainReference());
                grads.add(g.clone().retainReference());
                losses.add(loss);
            });
            // weights stay fixed (the update only zeroes gradients), so the target network does not move either
            objective.step(student, schedule, x0, null, BatchNoise.forSamples(8, 0, 3),
                    loss -> AdamWUpdate.zero(student.parameters()));
            ConsistencyParameterization p = objective.parameterization(schedule);
            ConsistencyObjective.Pair pair = objective.draw(p, x0, null, BatchNoise.forSamples(8, 0, 3));
            Tensor toCm = p.perSample(3, b -> 1 / schedule.sqrtAlphaBar(pair.upper()[b]), x0);
            Tensor fTarget = p.consistency(copy, pair.xLower(), pair.lower(), null);
            for (int k = 0; k < 3; k++) {
                Tensor delta = deltas.get(k), g = grads.get(k);
                java.util.function.Function<Tensor, Double> loss = d -> ConsistencyMetric.PSEUDO_HUBER
                        .perSample(p.consistency(student, pair.xUpper().add(d.mul(toCm)), pair.upper(), null), fTarget)
                        .mean().item_double();
                assertEquals(losses.get(k), loss.apply(delta), 1e-12, "replay " + k + " loss");
                Tensor v = new RandomStream(100 + k).normal(HostTensors.shape(delta)).to(ScalarType.Double);
                double h = 1e-6;
                double fd = (loss.apply(delta.add(v.mul(new Scalar(h)))) - loss.apply(delta.sub(v.mul(new Scalar(h))))) / (2 * h);
                double analytic = g.mul(v).sum().item_double();
                assertEquals(fd, analytic, 1e-6 * Math.abs(analytic) + 1e-9, "replay " + k);
            }
            assertTrue(deltas.get(2).abs().sum().item_double() > 0, "the perturbation ascended");
        }
    }

    @Test
    void theEmaTargetFollowsTheStudentAfterEveryUpdate() {
        try (PointerScope scope = new PointerScope()) {
            NoiseSchedule schedule = new LinearSchedule(T);
            TinyConvDenoiser student = new TinyConvDenoiser(1, 16, T, 1);
            ConsistencyDistillationObjective objective = cd(schedule, student, 2, null);
            float[] before = flat(objective.target().state());
            assertArrayEquals(student.weights(), before, "the target starts as the student");
            AdamWUpdate update = new AdamWUpdate(student, 1e-2);
            objective.step(student, schedule, GaussianData.batch(new RandomStream(3), 4, 1, SIZE, M, S), null,
                    BatchNoise.forSamples(4, 0, 4), update);
            float[] w = student.weights(), after = flat(objective.target().state());
            double moved = 0;
            for (int i = 0; i < w.length; i++) {
                assertEquals(0.95 * before[i] + 0.05 * w[i], after[i], 1e-6); // theta- <- mu theta- + (1 - mu) theta
                moved += Math.abs(w[i] - before[i]);
            }
            assertTrue(moved > 0);
        }
    }

    /** Row b's n and z come from stream b alone: a row draws the same pair in any batch, at any position. */
    @Test
    void eachRowDrawsFromItsOwnStream() {
        try (PointerScope scope = new PointerScope()) {
            NoiseSchedule schedule = new LinearSchedule(T);
            ConsistencyDistillationObjective objective = cd(schedule, new TinyConvDenoiser(1, 16, T, 1), 2, null);
            ConsistencyParameterization p = objective.parameterization(schedule);
            Tensor x0 = GaussianData.batch(new RandomStream(3), 6, 1, SIZE, M, S);
            ConsistencyObjective.Pair whole = objective.draw(p, x0, null, BatchNoise.forSamples(7, 0, 6));
            ConsistencyObjective.Pair tail = objective.draw(p, x0.narrow(0, 2, 4), null, BatchNoise.forSamples(7, 2, 4));
            assertArrayEquals(java.util.Arrays.copyOfRange(whole.upper(), 2, 6), tail.upper());
            assertArrayEquals(java.util.Arrays.copyOfRange(whole.lower(), 2, 6), tail.lower());
            assertArrayEquals(HostTensors.toFloats(whole.xUpper().narrow(0, 2, 4)), HostTensors.toFloats(tail.xUpper()));
            assertArrayEquals(HostTensors.toFloats(whole.xLower().narrow(0, 2, 4)), HostTensors.toFloats(tail.xLower()));
            int first = new RandomStream(7).derive(2).nextInt(objective.discretization(p).points() - 1);
            assertEquals(objective.discretization(p).timestep(first), tail.lower()[0], "n is the stream's first draw");
            String m = assertThrows(IllegalArgumentException.class,
                    () -> objective.draw(p, x0, null, BatchNoise.forSamples(7, 0, 5))).getMessage();
            assertTrue(m.contains("one stream per row (6)"), m);
        }
    }

    @Test
    void distillationNeedsATeacher() {
        TinyConvDenoiser student = new TinyConvDenoiser(1, 4, T, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new ConsistencyDistillationObjective(null, TargetNetwork.stopGradient(student), SETTINGS, null));
        assertTrue(e.getMessage().contains("cm.teacher"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SETTINGS.requireTeacher());
        assertTrue(e.getMessage().contains("cm.teacher"), e.getMessage());
    }

    private static float[] flat(java.util.Map<String, Tensor> state) {
        List<float[]> parts = new ArrayList<>();
        int n = 0;
        for (Tensor t : state.values()) {
            float[] v = HostTensors.toFloats(t.detach());
            parts.add(v);
            n += v.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] v : parts) {
            System.arraycopy(v, 0, out, o, v.length);
            o += v.length;
        }
        return out;
    }
}
