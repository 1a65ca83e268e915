package org.atdiff.train;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.ColouredSquares;
import org.atdiff.objective.TimestepSampler;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.random.RandomStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** train.precision = bf16: the loss follows the fp32 run, and weights, gradients and optimizer state stay float32. */
@ExtendWith(SingleThreadedTorch.class)
class MixedPrecisionTrainingTest {

    private record Run(List<Double> losses, UNet model, TrainingLoop loop) {}

    private static Run train(Precision precision, String objective, int steps) {
        UNet model = new UNet(UNetConfig.preset("tiny", 8, 3), 1);
        RandomStream data = new RandomStream(3);
        TrainingLoop loop = new TrainingLoop(precision.apply(model), NoiseSchedule.named("linear", 1000),
                TrainingObjective.named(objective, 0.1, ReferenceSettings.AT, TimestepSampler.UNIFORM), new AdamW(model.parameters(), 0.0),
                new LearningRateSchedule(2e-3, 0), new GradientClipping(1.0), new ExponentialMovingAverage(model, 0.9),
                () -> new Minibatch(ColouredSquares.batch(data, 8, 8), null), new RandomStream(5), GradientSync.LOCAL);
        List<Double> losses = new ArrayList<>();
        for (int s = 0; s < steps; s++) losses.add(loop.runStep().loss());
        return new Run(losses, model, loop);
    }

    private static double mean(List<Double> xs, int from, int to) {
        return xs.subList(from, to).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    @Test
    void bf16LossTracksFp32AndStateStaysFloat32() {
        try (PointerScope scope = new PointerScope()) {
            int steps = 30;
            Run fp32 = train(Precision.FP32, "plain", steps);
            Run bf16 = train(Precision.BF16, "plain", steps);
            assertNotEquals(fp32.losses(), bf16.losses(), "bf16 compute changes the losses");
            for (int s = 0; s < steps; s++) {
                double a = fp32.losses().get(s), b = bf16.losses().get(s);
                assertTrue(Math.abs(a - b) <= 0.1 * a + 0.02, "step " + s + ": fp32 loss " + a + ", bf16 loss " + b);
            }
            // both runs learn, by a similar amount
            double dropFp32 = mean(fp32.losses(), 0, 5) - mean(fp32.losses(), steps - 5, steps);
            double dropBf16 = mean(bf16.losses(), 0, 5) - mean(bf16.losses(), steps - 5, steps);
            assertTrue(dropFp32 > 0 && dropBf16 > 0, "loss drops: fp32 " + dropFp32 + ", bf16 " + dropBf16);
            assertEquals(dropFp32, dropBf16, 0.3 * dropFp32, "loss drop fp32 vs bf16");
            for (Tensor p : bf16.model().parameters()) {
                assertEquals(ScalarType.Float, p.scalar_type().intern(), "master weight dtype");
                assertEquals(ScalarType.Float, p.grad().scalar_type().intern(), "gradient dtype");
            }
            bf16.loop().optimizer().stateDict().forEach((k, v) -> {
                if (!k.equals("step")) assertEquals(ScalarType.Float, v.scalar_type().intern(), "optimizer state " + k);
            });
            bf16.loop().ema().stateDict().forEach((k, v) ->
                    assertEquals(ScalarType.Float, v.scalar_type().intern(), "EMA " + k));
        }
    }

    @Test
    void bf16FreeAdversarialStepsRun() {
        try (PointerScope scope = new PointerScope()) {
            Run fp32 = train(Precision.FP32, "at", 3);
            Run bf16 = train(Precision.BF16, "at", 3);
            assertEquals(9, bf16.loop().optimizer().steps());
            for (int s = 0; s < 3; s++) {
                double a = fp32.losses().get(s), b = bf16.losses().get(s);
                assertTrue(Math.abs(a - b) <= 0.1 * a + 0.02, "step " + s + ": fp32 loss " + a + ", bf16 loss " + b);
            }
        }
    }

    @Test
    void precisionNames() {
        assertEquals(Precision.BF16, Precision.named("bf16"));
        assertEquals(Precision.FP32, Precision.named("fp32"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.named("fp16"));
        assertTrue(e.getMessage().contains("fp16") && e.getMessage().contains("bf16"), e.getMessage());
        UNet model = new UNet(UNetConfig.preset("tiny", 8, 3), 1);
        assertSame(model, Precision.FP32.apply(model));
    }
}
