package org.atdiff.objective;

import org.atdiff.train.ReferenceSettings;
import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SingleThreadedTorch.class)
class PlainAndInputPerturbationObjectiveTest {

    private final NoiseSchedule schedule = new LinearSchedule(50);

    @Test
    void plainLossIsTheMeanSquaredNoiseErrorAtTheDrawnTimesteps() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(3, 4, 50, 1);
            Tensor x0 = ColouredSquares.batch(new RandomStream(1), 3, 8);
            AdamWUpdate update = new AdamWUpdate(model, 1e-3);
            // the expected loss, from an independent replay of the draws: row b's stream gives t_b = nextInt(T), then eps_b
            int[] t = new int[3];
            float[] eps = new float[3 * 3 * 8 * 8];
            for (int b = 0; b < 3; b++) {
                RandomStream r = new RandomStream(5).derive(b);
                t[b] = r.nextInt(50);
                System.arraycopy(r.gaussians(3 * 8 * 8), 0, eps, b * 3 * 8 * 8, 3 * 8 * 8);
            }
            Tensor epsT = HostTensors.fromFloats(eps, 3, 3, 8, 8);
            float[] pred = HostTensors.toFloats(model.predictNoise(schedule.addNoise(x0, epsT, t), schedule.modelTimesteps(t), null));
            double want = 0;
            for (int i = 0; i < eps.length; i++) want += (pred[i] - eps[i]) * (double) (pred[i] - eps[i]);
            want /= eps.length;
            StepStats s = new PlainObjective().step(model, schedule, x0, null, BatchNoise.forSamples(5, 0, 3), update);
            assertEquals(want, s.loss(), 1e-5 * want);
            assertEquals(1, s.updates());
            assertEquals(1, update.losses.size());
            assertTrue(s.deltaNorm().isEmpty());
        }
    }

    @Test
    void eachRowDrawsFromItsOwnStreamSoSplittingTheBatchChangesNoDraw() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x0 = ColouredSquares.batch(new RandomStream(1), 4, 8);
            ForwardDraw whole = ForwardDraw.draw(schedule, x0, null, BatchNoise.forSamples(7, 0, 4));
            ForwardDraw head = ForwardDraw.draw(schedule, x0.narrow(0, 0, 1), null, BatchNoise.forSamples(7, 0, 1));
            ForwardDraw tail = ForwardDraw.draw(schedule, x0.narrow(0, 1, 3), null, BatchNoise.forSamples(7, 1, 3));
            assertArrayEquals(whole.indices(), new int[] {head.indices()[0], tail.indices()[0], tail.indices()[1], tail.indices()[2]});
            assertArrayEquals(HostTensors.toFloats(whole.eps().narrow(0, 1, 3)), HostTensors.toFloats(tail.eps()));
            assertArrayEquals(HostTensors.toFloats(whole.xt().narrow(0, 0, 1)), HostTensors.toFloats(head.xt()));
            String m = assertThrows(IllegalArgumentException.class,
                    () -> ForwardDraw.draw(schedule, x0, null, BatchNoise.forSamples(7, 0, 3))).getMessage();
            assertTrue(m.contains("one stream per row (4)"), m);
        }
    }

    @Test
    void inputPerturbationWithZeroGammaIsPlainTraining() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x0 = ColouredSquares.batch(new RandomStream(2), 4, 8);
            TinyConvDenoiser a = new TinyConvDenoiser(3, 4, 50, 3), b = new TinyConvDenoiser(3, 4, 50, 3);
            AdamWUpdate ua = new AdamWUpdate(a, 1e-2), ub = new AdamWUpdate(b, 1e-2);
            for (int step = 0; step < 3; step++) {
                new InputPerturbationObjective(0.0).step(a, schedule, x0, null, BatchNoise.forSamples(step, 0, 4), ua);
                new PlainObjective().step(b, schedule, x0, null, BatchNoise.forSamples(step, 0, 4), ub);
            }
            assertEquals(ub.losses, ua.losses);
            assertArrayEquals(b.weights(), a.weights());
            // a positive gamma perturbs the input, so the loss differs
            StepStats ip = new InputPerturbationObjective(0.5).step(a, schedule, x0, null, BatchNoise.forSamples(9, 0, 4), ua);
            StepStats plain = new PlainObjective().step(b, schedule, x0, null, BatchNoise.forSamples(9, 0, 4), ub);
            assertNotEquals(plain.loss(), ip.loss());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new InputPerturbationObjective(-0.1))
                    .getMessage().contains("ip.gamma"));
        }
    }

    @Test
    void objectivesAreBuiltByName() {
        assertInstanceOf(PlainObjective.class, TrainingObjective.named("plain", 0.1, ReferenceSettings.AT, TimestepSampler.UNIFORM));
        assertEquals(0.2, ((InputPerturbationObjective) TrainingObjective.named("ip", 0.2, ReferenceSettings.AT, TimestepSampler.UNIFORM)).gamma());
        assertEquals(ReferenceSettings.AT,
                ((FreeAdversarialObjective) TrainingObjective.named("at", 0.1, ReferenceSettings.AT, TimestepSampler.UNIFORM)).settings());
        String m = assertThrows(IllegalArgumentException.class,
                () -> TrainingObjective.named("fgsm", 0.1, ReferenceSettings.AT, TimestepSampler.UNIFORM)).getMessage();
        assertTrue(m.contains("'fgsm'") && m.contains("plain, ip, at"), m);
    }

    @Test
    void badInputsAreNamed() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(3, 4, 50, 1);
            Tensor x0 = ColouredSquares.batch(new RandomStream(1), 2, 8);
            Tensor labels = HostTensors.fromLongs(new long[] {1, 2, 3}, 3);
            String m = assertThrows(IllegalArgumentException.class, () -> new PlainObjective()
                    .step(model, schedule, x0, labels, BatchNoise.forSamples(1, 0, 2), l -> {})).getMessage();
            assertTrue(m.contains("labels"), m);
            m = assertThrows(IllegalArgumentException.class, () -> new PlainObjective()
                    .step(model, schedule, HostTensors.fromLongs(new long[] {1, 2}, 2), null, BatchNoise.forSamples(1, 0, 2), l -> {})).getMessage();
            assertTrue(m.contains("x0"), m);
        }
    }
}
