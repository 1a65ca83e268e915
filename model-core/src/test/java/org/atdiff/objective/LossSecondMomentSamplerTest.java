package org.atdiff.objective;

import org.atdiff.train.ReferenceSettings;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;

import org.atdiff.SingleThreadedTorch;
import org.atdiff.diffusion.CosineSchedule;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.random.RandomStream;
import org.atdiff.train.GradientSync;
import org.atdiff.train.Minibatch;
import org.atdiff.train.TrainingLoop;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SingleThreadedTorch.class)
class LossSecondMomentSamplerTest {
    /** Fills t = 0, 1, 2 with ten losses each: 1.0 x 10; 2.0 x 10; 3.0 and 4.0 alternating. */
    private static LossSecondMomentSampler warm() {
        LossSecondMomentSampler s = new LossSecondMomentSampler(3);
        for (int k = 0; k < 10; k++) s.record(new int[] {0, 1, 2}, new double[] {1.0, 2.0, k % 2 == 0 ? 3.0 : 4.0});
        return s;
    }

    @Test
    void probabilitiesAndWeightsMatchAHandComputation() {
        LossSecondMomentSampler s = warm();
        assertTrue(s.warmedUp());
        // sqrt(E[L^2]) per t: 1, 2, sqrt((9 + 16) / 2); normalised, times (1 - 0.001), plus 0.001 / 3
        double r2 = Math.sqrt(12.5), sum = 1 + 2 + r2;
        double[] p = {1 / sum * 0.999 + 0.001 / 3, 2 / sum * 0.999 + 0.001 / 3, r2 / sum * 0.999 + 0.001 / 3};
        assertArrayEquals(p, s.probabilities(), 1e-15);
        assertEquals(0.15319001, p[0], 1e-8); // written out: 1 / 6.5355339 * 0.999 + 0.000333
        for (int t = 0; t < 3; t++) assertEquals(1 / (3 * p[t]), s.weight(t, 3), 1e-12, "weight of t = " + t);
        assertEquals(2.17595, s.weight(0, 3), 1e-5);
    }

    @Test
    void theOldestLossIsDroppedOnceATimestepHasTen() {
        LossSecondMomentSampler s = warm();
        s.record(new int[] {0}, new double[] {11.0}); // t = 0: nine 1.0 and one 11.0
        double r0 = Math.sqrt((9 + 121) / 10.0), r2 = Math.sqrt(12.5), sum = r0 + 2 + r2;
        assertEquals(r0 / sum * 0.999 + 0.001 / 3, s.probabilities()[0], 1e-15);
    }

    @Test
    void timestepsAreUniformWithUnitWeightsUntilEveryTimestepHasTenLosses() {
        LossSecondMomentSampler s = new LossSecondMomentSampler(3);
        for (int k = 0; k < 10; k++) s.record(new int[] {0, 1}, new double[] {1.0, 5.0});
        for (int k = 0; k < 9; k++) s.record(new int[] {2}, new double[] {0.1});
        assertFalse(s.warmedUp());
        assertArrayEquals(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, s.probabilities(), 0.0);
        assertEquals(1.0, s.weight(1, 3), 0.0);
        for (int i = 0; i < 20; i++) { // the uniform sampler's very draw
            assertEquals(TimestepSampler.UNIFORM.draw(new RandomStream(i), 3), s.draw(new RandomStream(i), 3));
        }
        s.record(new int[] {2}, new double[] {0.1});
        assertTrue(s.warmedUp());
        assertNotEquals(1.0, s.weight(1, 3));
    }

    @Test
    void drawsFollowTheProbabilities() {
        LossSecondMomentSampler s = warm();
        double[] p = s.probabilities();
        int n = 200_000;
        int[] counts = new int[3];
        RandomStream rng = new RandomStream(7);
        for (int i = 0; i < n; i++) counts[s.draw(rng, 3)]++;
        for (int t = 0; t < 3; t++) {
            double se = Math.sqrt(p[t] * (1 - p[t]) / n);
            assertEquals(p[t], counts[t] / (double) n, 5 * se, "frequency of t = " + t);
        }
    }

    @Test
    void theHistoryRoundTripsThroughItsCheckpointState() {
        try (PointerScope scope = new PointerScope()) {
            LossSecondMomentSampler s = warm();
            s.record(new int[] {1, 1}, new double[] {0.5, 7.0});
            LossSecondMomentSampler back = new LossSecondMomentSampler(3);
            back.restore(s.state(), "test");
            assertArrayEquals(s.probabilities(), back.probabilities(), 0.0);
            for (int i = 0; i < 50; i++) assertEquals(s.draw(new RandomStream(i), 3), back.draw(new RandomStream(i), 3));
            // a history of another T names the problem
            String m = assertThrows(IllegalArgumentException.class,
                    () -> new LossSecondMomentSampler(4).restore(s.state(), "step-9.safetensors")).getMessage();
            assertTrue(m.contains("step-9.safetensors") && m.contains("diffusion.timesteps"), m);
            assertEquals(2, TimestepSampler.named("loss-second-moment", 3).state().size());
            assertThrows(IllegalArgumentException.class, () -> TimestepSampler.named("importance", 3));
        }
    }

    @Test
    void theMinibatchLossWeightsEachSampleBy1OverTPt() {
        try (PointerScope scope = new PointerScope()) {
            CosineSchedule schedule = new CosineSchedule(3);
            LossSecondMomentSampler s = warm();
            TinyConvDenoiser model = new TinyConvDenoiser(3, 8, 3, 9);
            org.bytedeco.pytorch.Tensor x0 = ColouredSquares.batch(new RandomStream(1), 6, 8);
            double[] seen = new double[1];
            new PlainObjective(s).step(model, schedule, x0, null, org.atdiff.random.BatchNoise.forSamples(2, 0, 6),
                    loss -> seen[0] = loss);
            ForwardDraw d = ForwardDraw.draw(schedule, x0, null, org.atdiff.random.BatchNoise.forSamples(2, 0, 6), s);
            double[] per = org.atdiff.tensor.HostTensors.toDoubles(DenoisingLoss.simple(
                    model.predict(d.xt(), d.timesteps(), null), d.eps()));
            double expected = 0;
            for (int b = 0; b < 6; b++) expected += per[b] / (3 * s.probabilities()[d.indices()[b]]) / 6;
            assertEquals(expected, seen[0], 1e-6 * expected);
            assertFalse(Arrays.stream(d.weights()).allMatch(w -> w == 1.0));
        }
    }

    /** A loss-second-moment sampler that counts what it is told. */
    private static final class Counting implements TimestepSampler {
        final LossSecondMomentSampler inner;
        int calls, pairs;

        Counting(int timesteps) {
            inner = new LossSecondMomentSampler(timesteps);
        }

        @Override
        public int draw(RandomStream stream, int timesteps) {
            return inner.draw(stream, timesteps);
        }

        @Override
        public double weight(int t, int timesteps) {
            return inner.weight(t, timesteps);
        }

        @Override
        public boolean usesLosses() {
            return true;
        }

        @Override
        public void record(int[] t, double[] losses) {
            calls++;
            pairs += t.length;
            for (double l : losses) assertTrue(Double.isFinite(l) && l > 0);
            inner.record(t, losses);
        }
    }

    @Test
    void theTrainingLoopRecordsEverySamplesLossOncePerStep() {
        try (PointerScope scope = new PointerScope()) {
            int timesteps = 4, batch = 8, steps = 10;
            CosineSchedule schedule = new CosineSchedule(timesteps);
            RandomStream data = new RandomStream(4);
            for (String name : new String[] {"plain", "ip", "at"}) {
                TinyConvDenoiser model = new TinyConvDenoiser(3, 8, timesteps, 3);
                Counting sampler = new Counting(timesteps);
                TrainingObjective objective = TrainingObjective.named(name, 0.1, ReferenceSettings.AT, sampler);
                assertSame(sampler, objective.lossAwareTimesteps().orElseThrow());
                TrainingLoop loop = new TrainingLoop(model, schedule, objective, new AdamW(model.parameters(), 0.0),
                        new LearningRateSchedule(1e-3, 0), new GradientClipping(1.0), new ExponentialMovingAverage(model, 0.9),
                        () -> new Minibatch(ColouredSquares.batch(data, batch, 8), null), new RandomStream(5), GradientSync.LOCAL);
                loop.run(steps);
                assertEquals(steps, sampler.calls, name + ": once per minibatch step (also with K replays)");
                assertEquals(steps * batch, sampler.pairs, name);
                assertTrue(sampler.inner.warmedUp(), name + ": 80 pairs over 4 timesteps");
            }
            // the uniform sampler asks for nothing
            assertTrue(TrainingObjective.named("plain", 0.1, ReferenceSettings.AT, TimestepSampler.UNIFORM)
                    .lossAwareTimesteps().isEmpty());
        }
    }
}
