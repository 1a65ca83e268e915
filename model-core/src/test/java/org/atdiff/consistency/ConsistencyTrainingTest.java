package org.atdiff.consistency;

import org.atdiff.train.ReferenceSettings;
import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.objective.AdamWUpdate;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.ColouredSquares;
import org.atdiff.objective.ParameterUpdate;
import org.atdiff.objective.StepStats;
import org.atdiff.objective.TinyConvDenoiser;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.train.GradientSync;
import org.atdiff.train.Minibatch;
import org.atdiff.train.TrainingLoop;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Improved consistency training: curriculum, noise-level sampling, loss decrease, resume, and AT. */
@ExtendWith(SingleThreadedTorch.class)
class ConsistencyTrainingTest {

    private final NoiseSchedule schedule = new LinearSchedule(1000);

    private static ConsistencySettings fixedN(int steps) {
        return new ConsistencySettings("", TeacherSolver.DDIM, 18, steps, steps, 7, ConsistencyMetric.PSEUDO_HUBER,
                0.95, 0.5, new int[0]);
    }

    @Test
    void curriculumDoublesNEveryStageAndIsCappedAtT() {
        TinyConvDenoiser student = new TinyConvDenoiser(3, 4, 1000, 1);
        // s0 = 10, s1 = 1280, K = 800: K' = floor(800 / (log2 128 + 1)) = 100 (Song and Dhariwal 2023, sec. 3.4)
        ConsistencyTrainingObjective ct = new ConsistencyTrainingObjective(TargetNetwork.stopGradient(student),
                ReferenceSettings.CM, 800, null);
        assertEquals(11, ct.points(0));
        assertEquals(11, ct.points(99));
        assertEquals(21, ct.points(100));
        assertEquals(41, ct.points(250));
        assertEquals(641, ct.points(699));
        assertEquals(1281, ct.points(700));
        assertEquals(1281, ct.points(10_000));
        ConsistencyParameterization p = ct.parameterization(schedule);
        assertEquals(11, ct.discretization(p).points());
        ct.resumeAt(750);
        assertEquals(1000, ct.discretization(p).points(), "capped at T");
        // a short run: K' = max(1, ...) keeps the curriculum defined
        assertEquals(21, new ConsistencyTrainingObjective(TargetNetwork.stopGradient(student),
                ReferenceSettings.CM, 3, null).points(1));
    }

    @Test
    void errorFunctionAndLogNormalNoiseLevels() {
        assertEquals(0.5204998778, ConsistencyTrainingObjective.erf(0.5), 2e-7);
        assertEquals(0.8427007929, ConsistencyTrainingObjective.erf(1), 2e-7);
        assertEquals(-0.9953222650, ConsistencyTrainingObjective.erf(-2), 2e-7);
        assertEquals(0.0, ConsistencyTrainingObjective.erf(0), 1e-9);
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser student = new TinyConvDenoiser(3, 4, 1000, 1);
            ConsistencyTrainingObjective ct = new ConsistencyTrainingObjective(TargetNetwork.stopGradient(student),
                    fixedN(10), 100, null);
            ConsistencyParameterization p = ct.parameterization(schedule);
            ConsistencyDiscretization d = ct.discretization(p);
            int[] counts = new int[d.points() - 1];
            Tensor x0 = ColouredSquares.batch(new RandomStream(1), 2000, 2).narrow(1, 0, 1);
            ConsistencyObjective.Pair pair = ct.draw(p, x0, null, BatchNoise.forSamples(2, 0, 2000));
            float[] lambda = org.atdiff.tensor.HostTensors.toFloats(pair.weight());
            for (int b = 0; b < 2000; b++) {
                int n = java.util.Arrays.binarySearch(d.timesteps(), pair.lower()[b]);
                assertEquals(d.timestep(n + 1), pair.upper()[b], "adjacent points");
                assertEquals(1 / (d.sigma(n + 1) - d.sigma(n)), lambda[b], 1e-6 * lambda[b]); // sec. 3.1
                counts[n]++;
            }
            double sqrt2s = Math.sqrt(2) * 2.0;
            for (int n = 0; n < counts.length; n++) { // p(n) of sec. 3.5
                double want = (ConsistencyTrainingObjective.erf((Math.log(d.sigma(n + 1)) + 1.1) / sqrt2s)
                        - ConsistencyTrainingObjective.erf((Math.log(d.sigma(n)) + 1.1) / sqrt2s))
                        / (ConsistencyTrainingObjective.erf((Math.log(d.sigma(counts.length)) + 1.1) / sqrt2s)
                        - ConsistencyTrainingObjective.erf((Math.log(d.sigma(0)) + 1.1) / sqrt2s));
                assertEquals(want, counts[n] / 2000.0, 4 * Math.sqrt(want * (1 - want) / 2000) + 1e-3, "point " + n);
            }
            // x_{n+1} and x^_n share z: (x_{n+1} - x0) / sigma_{n+1} = (x^_n - x0) / sigma_n
            Tensor zUp = pair.xUpper().sub(x0).div(p.perSample(2000, b -> p.sigma(pair.upper()[b]), x0));
            Tensor zLo = pair.xLower().sub(x0).div(p.perSample(2000, b -> p.sigma(pair.lower()[b]), x0));
            assertTrue(zUp.allclose(zLo, 1e-3, 1e-3, false));
        }
    }

    /** Row b's n (one uniform) and z come from stream b alone, whatever the batch around it. */
    @Test
    void eachRowDrawsFromItsOwnStream() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser student = new TinyConvDenoiser(3, 4, 1000, 1);
            ConsistencyTrainingObjective ct = new ConsistencyTrainingObjective(TargetNetwork.stopGradient(student),
                    fixedN(10), 100, null);
            ConsistencyParameterization p = ct.parameterization(schedule);
            Tensor x0 = ColouredSquares.batch(new RandomStream(1), 5, 8);
            ConsistencyObjective.Pair whole = ct.draw(p, x0, null, BatchNoise.forSamples(4, 10, 5));
            ConsistencyObjective.Pair one = ct.draw(p, x0.narrow(0, 3, 1), null, BatchNoise.forSamples(4, 13, 1));
            assertEquals(whole.upper()[3], one.upper()[0]);
            assertArrayEquals(org.atdiff.tensor.HostTensors.toFloats(whole.xLower().narrow(0, 3, 1)),
                    org.atdiff.tensor.HostTensors.toFloats(one.xLower()));
            assertArrayEquals(org.atdiff.tensor.HostTensors.toFloats(whole.weight().narrow(0, 3, 1)),
                    org.atdiff.tensor.HostTensors.toFloats(one.weight()));
            // n is the first index whose cumulative probability exceeds the stream's first uniform
            double u = new RandomStream(4).derive(13).nextUniform();
            ConsistencyDiscretization d = ct.discretization(p);
            int n = java.util.Arrays.binarySearch(d.timesteps(), one.lower()[0]);
            double below = 0, upTo = 0, total = 0;
            for (int i = 0; i < d.points() - 1; i++) {
                double w = ConsistencyTrainingObjective.erf((Math.log(d.sigma(i + 1)) + 1.1) / (Math.sqrt(2) * 2))
                        - ConsistencyTrainingObjective.erf((Math.log(d.sigma(i)) + 1.1) / (Math.sqrt(2) * 2));
                if (i < n) below += w;
                if (i <= n) upTo += w;
                total += w;
            }
            assertTrue(below / total <= u + 1e-12 && u < upTo / total + 1e-12, u + " in [" + below / total + ", "
                    + upTo / total + ")");
        }
    }

    /** The CT loss on a fixed evaluation draw (gradients computed and dropped, weights untouched). */
    private static double evaluate(ConsistencyTrainingObjective ct, TinyConvDenoiser model, NoiseSchedule schedule,
                                   Tensor x0) {
        List<Double> losses = new ArrayList<>();
        ParameterUpdate none = loss -> {
            losses.add(loss);
            AdamWUpdate.zero(model.parameters());
        };
        long k = ct.stepsTaken();
        double sum = 0;
        for (int r = 0; r < 4; r++) sum += ct.step(model, schedule, x0, null, BatchNoise.forSamples(1000 + r, 0, 32), none).loss();
        ct.resumeAt(k);
        return sum / 4;
    }

    @Test
    void consistencyTrainingLossDecreases() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser student = new TinyConvDenoiser(3, 16, 1000, 1);
            ConsistencyTrainingObjective ct = new ConsistencyTrainingObjective(TargetNetwork.stopGradient(student),
                    fixedN(10), 300, null);
            Tensor eval = ColouredSquares.batch(new RandomStream(9), 32, 8);
            double before = evaluate(ct, student, schedule, eval);
            AdamWUpdate update = new AdamWUpdate(student, 1e-3);
            RandomStream data = new RandomStream(3), rng = new RandomStream(4);
            for (int s = 0; s < 300; s++) {
                ct.step(student, schedule, ColouredSquares.batch(data, 16, 8), null, BatchNoise.forSamples(rng.derive(s).seed(), 0, 16),
                        update);
            }
            assertEquals(300, ct.stepsTaken());
            double after = evaluate(ct, student, schedule, eval);
            assertTrue(after < 0.7 * before, "CT loss " + before + " -> " + after);
        }
    }

    /** On the shared trainer: K updates per minibatch with AT, the curriculum follows a resumed loop's step count. */
    @Test
    void adversarialConsistencyTrainingOnTheTrainingLoop() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser student = new TinyConvDenoiser(3, 8, 1000, 1);
            ConsistencyTrainingObjective ct = new ConsistencyTrainingObjective(TargetNetwork.stopGradient(student),
                    ReferenceSettings.CM, 800, ReferenceSettings.AT);
            RandomStream data = new RandomStream(3);
            TrainingLoop loop = new TrainingLoop(student, schedule, ct, new AdamW(student.parameters(), 0.0),
                    new LearningRateSchedule(1e-3, 0), new GradientClipping(1.0), new ExponentialMovingAverage(student, 0.9),
                    () -> new Minibatch(ColouredSquares.batch(data, 4, 8), null), new RandomStream(5), GradientSync.LOCAL);
            loop.resumeAt(250);
            assertEquals(250, ct.stepsTaken());
            var m = loop.runStep();
            assertEquals(3, m.updates());
            double budget = 0.1 * Math.sqrt(3 * 8 * 8);
            double d = m.deltaNorm().orElseThrow();
            assertTrue(d > 0 && d <= budget * (1 + 1e-6), "delta_norm " + d);
            assertTrue(Double.isFinite(m.loss()) && m.loss() > 0);
            assertEquals(251, ct.stepsTaken());
            assertEquals(41, ct.discretization(ct.parameterization(schedule)).points());
            assertFalse(ct.target().hasOwnWeights());
        }
    }

    private static ConsistencySettings build(ConsistencySettings d, String key) {
        return switch (key) {
            case "cm.discretization" -> new ConsistencySettings("", d.solver(), 1, 10, 1280, 7, d.metric(), 0.95, 0.5, new int[0]);
            case "cm.ct-initial-steps" -> new ConsistencySettings("", d.solver(), 18, 0, 1280, 7, d.metric(), 0.95, 0.5, new int[0]);
            case "cm.ct-final-steps" -> new ConsistencySettings("", d.solver(), 18, 10, 5, 7, d.metric(), 0.95, 0.5, new int[0]);
            case "cm.rho" -> new ConsistencySettings("", d.solver(), 18, 10, 1280, 0, d.metric(), 0.95, 0.5, new int[0]);
            case "cm.ema-rate" -> new ConsistencySettings("", d.solver(), 18, 10, 1280, 7, d.metric(), 1, 0.5, new int[0]);
            case "cm.sigma-data" -> new ConsistencySettings("", d.solver(), 18, 10, 1280, 7, d.metric(), 0.95, -1, new int[0]);
            default -> new ConsistencySettings("", d.solver(), 18, 10, 1280, 7, d.metric(), 0.95, 0.5, new int[] {-3});
        };
    }

    @Test
    void settingsErrorsNameTheirKeys() {
        ConsistencySettings d = ReferenceSettings.CM;
        String[][] cases = {
                {"cm.discretization", "1"}, {"cm.ct-initial-steps", "0"}, {"cm.ct-final-steps", "5"},
                {"cm.rho", "0"}, {"cm.ema-rate", "1"}, {"cm.sigma-data", "-1"}, {"cm.sampling-times", "-3"}};
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> build(d, c[0]));
            assertTrue(e.getMessage().contains(c[0]), c[0] + ": " + e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConsistencyMetric.named("lpips"))
                .getMessage().contains("cm.metric"));
        assertEquals(ConsistencyMetric.L2, ConsistencyMetric.named("l2"));
        assertEquals("x.ckpt", new ConsistencySettings("x.ckpt", d.solver(), 18, 10, 1280, 7, d.metric(), 0.95, 0.5,
                new int[] {400, 100}).requireTeacher());
        assertEquals(d, new ConsistencySettings("", TeacherSolver.DDIM, 18, 10, 1280, 7.0, ConsistencyMetric.PSEUDO_HUBER,
                0.95, 0.5, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new ConsistencyTrainingObjective(
                TargetNetwork.stopGradient(new TinyConvDenoiser(1, 2, 10, 1)), d, 0, null));
    }

    @Test
    void metrics() {
        try (PointerScope scope = new PointerScope()) {
            Tensor a = org.atdiff.tensor.HostTensors.fromFloats(new float[] {3, 4, 0, 0, 1, 1, 1, 1}, 2, 4);
            Tensor b = torch.zeros_like(a);
            assertArrayEquals(new float[] {25f / 4, 1f}, org.atdiff.tensor.HostTensors.toFloats(ConsistencyMetric.L2.perSample(a, b)), 1e-6f);
            double c = 0.00054 * 2; // 0.00054 sqrt(d), d = 4
            float[] ph = org.atdiff.tensor.HostTensors.toFloats(ConsistencyMetric.PSEUDO_HUBER.perSample(a, b));
            assertEquals(Math.sqrt(25 + c * c) - c, ph[0], 1e-5);
            assertEquals(Math.sqrt(4 + c * c) - c, ph[1], 1e-5);
            assertEquals(0f, org.atdiff.tensor.HostTensors.toFloats(ConsistencyMetric.PSEUDO_HUBER.perSample(a, a))[0], 1e-9f);
        }
    }
}
