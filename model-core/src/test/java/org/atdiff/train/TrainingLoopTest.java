package org.atdiff.train;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.ColouredSquares;
import org.atdiff.objective.TinyConvDenoiser;
import org.atdiff.objective.TimestepSampler;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SingleThreadedTorch.class)
class TrainingLoopTest {

    private static final int BATCH = 16, SIZE = 16;

    private static TrainingLoop loop(TinyConvDenoiser model, String objective, MinibatchSource data, GradientSync sync) {
        NoiseSchedule schedule = new LinearSchedule(1000);
        return new TrainingLoop(model, schedule, TrainingObjective.named(objective, 0.1, ReferenceSettings.AT, TimestepSampler.UNIFORM),
                new AdamW(model.parameters(), 0.0), new LearningRateSchedule(3e-3, 20), new GradientClipping(1.0),
                new ExponentialMovingAverage(model, 0.99), data, new RandomStream(17), sync);
    }

    private static MinibatchSource squares(long seed) {
        RandomStream rng = new RandomStream(seed);
        return () -> new Minibatch(ColouredSquares.batch(rng, BATCH, SIZE), null);
    }

    private static double mean(List<StepMetrics> ms, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += ms.get(i).loss();
        return s / (to - from);
    }

    private static List<StepMetrics> train(String objective, int steps) {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(3, 32, 1000, 3);
            TrainingLoop loop = loop(model, objective, squares(5), GradientSync.LOCAL);
            List<StepMetrics> seen = new ArrayList<>();
            loop.addListener((m, l) -> seen.add(m));
            loop.run(steps);
            assertEquals(steps, loop.step());
            assertEquals(steps, seen.size());
            return seen;
        }
    }

    private static void assertLearns(List<StepMetrics> ms) {
        int n = ms.size();
        double first = mean(ms, 0, 20), last = mean(ms, n - 20, n);
        assertTrue(last < 0.7 * first, "loss fell only from " + first + " to " + last);
        for (int i = 0; i < n; i++) {
            StepMetrics m = ms.get(i);
            assertEquals(i + 1, m.step());
            assertTrue(Double.isFinite(m.gradNorm()) && m.gradNorm() > 0);
            assertTrue(m.imagesPerSec() > 0);
        }
        assertEquals(3e-3 / 20, ms.get(0).lr(), 1e-15);
        assertEquals(3e-3, ms.get(n - 1).lr(), 0.0);
    }

    @Test
    void plainTrainingReducesTheLoss() {
        List<StepMetrics> ms = train("plain", 300);
        assertLearns(ms);
        assertTrue(ms.get(0).deltaNorm().isEmpty());
        assertEquals(1, ms.get(0).updates());
        assertFalse(ms.get(0).asMap().containsKey("delta_norm"));
    }

    @Test
    void freeAdversarialTrainingReducesTheLoss() {
        List<StepMetrics> ms = train("at", 200);
        assertLearns(ms);
        double budget = 0.1 * Math.sqrt(3 * SIZE * SIZE);
        for (StepMetrics m : ms) {
            assertEquals(3, m.updates());
            double d = m.deltaNorm().orElseThrow();
            assertTrue(d > 0 && d <= budget, "delta_norm " + d);
        }
        assertEquals(List.of("step", "loss", "grad_norm", "lr", "images_per_sec", "delta_norm"),
                List.copyOf(ms.get(0).asMap().keySet()));
    }

    @Test
    void aNonFiniteLossStopsBeforeTheUpdateAndNamesTheStep() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(3, 8, 1000, 3);
            RandomStream rng = new RandomStream(1);
            int[] calls = {0};
            MinibatchSource data = () -> {
                Tensor x = ColouredSquares.batch(rng, 4, 8);
                if (++calls[0] == 3) x = x.mul(new Scalar(Double.NaN));
                return new Minibatch(x, null);
            };
            TrainingLoop loop = loop(model, "plain", data, GradientSync.LOCAL);
            loop.runStep();
            loop.runStep();
            float[] before = model.weights();
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class, loop::runStep);
            assertEquals(3, e.step());
            assertTrue(e.getMessage().contains("step 3") && e.getMessage().contains("loss"), e.getMessage());
            assertArrayEquals(before, model.weights(), "the update must not have been applied");
            assertEquals(2, loop.step());
        }
    }

    @Test
    void theSynchronisedBufferIsWhatTheOptimizerApplies() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(3, 8, 1000, 3);
            long size = 0;
            for (Tensor p : model.parameters()) size += p.numel();
            long expected = size + 1;
            List<Long> addresses = new ArrayList<>();
            // a "world" where the other worker's gradients cancel ours: the average is zero, the loss is kept
            GradientSync cancelling = new GradientSync() {
                @Override
                public void allReduceMean(Tensor flat) {
                    assertEquals(expected, flat.numel());
                    addresses.add(flat.data_ptr().address());
                    flat.narrow(0, 0, flat.numel() - 1).zero_();
                }

                @Override
                public int worldSize() {
                    return 2;
                }
            };
            TrainingLoop loop = loop(model, "at", squares(2), cancelling);
            float[] before = model.weights();
            StepMetrics m = loop.runStep();
            assertArrayEquals(before, model.weights(), "zero averaged gradients with no weight decay leave the weights");
            assertEquals(0.0, m.gradNorm());
            assertTrue(m.loss() > 0);
            loop.runStep();
            assertEquals(6, addresses.size(), "one all-reduce per update: K = 3 per step");
            assertEquals(1, addresses.stream().distinct().count(), "the flat buffer is reused");
        }
    }

    @Test
    void aResumedLoopContinuesLikeAnUninterruptedOne() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser a = new TinyConvDenoiser(3, 8, 1000, 4);
            TrainingLoop straight = loop(a, "at", stepIndexed(0), GradientSync.LOCAL);
            straight.run(4);

            TinyConvDenoiser b = new TinyConvDenoiser(3, 8, 1000, 4);
            TrainingLoop first = loop(b, "at", stepIndexed(0), GradientSync.LOCAL);
            first.run(2);
            TinyConvDenoiser c = new TinyConvDenoiser(3, 8, 1000, 99);
            TrainingLoop resumed = loop(c, "at", stepIndexed(first.step()), GradientSync.LOCAL);
            // what a checkpoint carries: weights, optimizer state, EMA, step count
            List<Tensor> pb = b.parameters(), pc = c.parameters();
            for (int i = 0; i < pb.size(); i++) pc.get(i).detach().copy_(pb.get(i).detach());
            resumed.optimizer().loadStateDict(first.optimizer().stateDict());
            resumed.ema().loadStateDict(first.ema().stateDict());
            resumed.resumeAt(first.step());
            resumed.run(4);
            assertArrayEquals(a.weights(), c.weights());
            for (String k : a.stateDict().keySet()) {
                assertArrayEquals(HostTensors.toFloats(straight.ema().stateDict().get(k)),
                        HostTensors.toFloats(resumed.ema().stateDict().get(k)), k);
            }
        }
    }

    /** Data that depends only on how many batches were drawn, like a source restored to its position. */
    private static MinibatchSource stepIndexed(long start) {
        long[] drawn = {start};
        return () -> new Minibatch(ColouredSquares.batch(new RandomStream(1000 + drawn[0]++), 4, 8), null);
    }
}
