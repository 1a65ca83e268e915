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
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The training stack on the real network: a few free-AT steps of the tiny U-Net. */
@ExtendWith(SingleThreadedTorch.class)
class UNetTrainingTest {

    private static float[] flat(List<Tensor> ps) {
        List<float[]> parts = new ArrayList<>();
        int n = 0;
        for (Tensor p : ps) {
            float[] w = HostTensors.toFloats(p.detach());
            parts.add(w);
            n += w.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] w : parts) {
            System.arraycopy(w, 0, out, o, w.length);
            o += w.length;
        }
        return out;
    }

    @Test
    void freeAdversarialStepsTrainTheTinyUNet() {
        try (PointerScope scope = new PointerScope()) {
            UNetConfig config = UNetConfig.preset("tiny", 8, 3);
            UNet model = new UNet(config, 1);
            float[] before = flat(model.parameters());
            RandomStream data = new RandomStream(3);
            TrainingLoop loop = new TrainingLoop(model, NoiseSchedule.named("cosine", 1000),
                    TrainingObjective.named("at", 0.1, ReferenceSettings.AT, TimestepSampler.UNIFORM), new AdamW(model.parameters(), 0.0),
                    new LearningRateSchedule(1e-3, 0), new GradientClipping(1.0), new ExponentialMovingAverage(model, 0.9),
                    () -> new Minibatch(ColouredSquares.batch(data, 4, 8), null), new RandomStream(5), GradientSync.LOCAL);
            double budget = 0.1 * Math.sqrt(3 * 8 * 8);
            for (int s = 0; s < 3; s++) {
                StepMetrics m = loop.runStep();
                assertTrue(Double.isFinite(m.loss()) && m.loss() > 0, "loss " + m.loss());
                assertTrue(m.gradNorm() > 0 && Double.isFinite(m.gradNorm()));
                assertEquals(3, m.updates());
                double d = m.deltaNorm().orElseThrow();
                assertTrue(d > 0 && d <= budget, "delta_norm " + d);
            }
            assertEquals(9, loop.optimizer().steps());
            float[] after = flat(model.parameters());
            int changed = 0;
            for (int i = 0; i < after.length; i++) if (after[i] != before[i]) changed++;
            assertTrue(changed > after.length / 2, changed + " of " + after.length + " weights changed");
            // EMA weights go into a fresh U-Net of the same architecture
            UNet sampler = new UNet(config, 2);
            loop.ema().copyTo(sampler);
            for (var e : loop.ema().stateDict().entrySet()) {
                assertArrayEquals(HostTensors.toFloats(e.getValue()), HostTensors.toFloats(sampler.stateDict().get(e.getKey())), e.getKey());
            }
        }
    }
}
