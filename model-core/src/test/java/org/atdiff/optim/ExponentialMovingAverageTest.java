package org.atdiff.optim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import org.atdiff.objective.TinyConvDenoiser;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class ExponentialMovingAverageTest {
    @Test
    void followsTheClosedFormOnConstantWeights() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(3, 4, 10, 1);
            float[] w0 = model.weights();
            double rate = 0.9;
            ExponentialMovingAverage ema = new ExponentialMovingAverage(model, rate);
            try (NoGradScope g = new NoGradScope()) {
                for (Tensor p : model.parameters()) p.fill_(new Scalar(0.5));
            }
            int n = 30;
            for (int i = 0; i < n; i++) ema.update();
            // s_n = c + (s_0 - c) rate^n
            TinyConvDenoiser copy = new TinyConvDenoiser(3, 4, 10, 2);
            ema.copyTo(copy);
            float[] got = copy.weights();
            for (int i = 0; i < w0.length; i++) {
                double want = 0.5 + (w0[i] - 0.5) * Math.pow(rate, n);
                assertEquals(want, got[i], 1e-6, "weight " + i);
            }
            // the live model is untouched by the averaging
            for (float w : model.weights()) assertEquals(0.5f, w);
        }
    }

    @Test
    void stateDictRoundTripsAndNamesMatchTheModel() {
        try (PointerScope scope = new PointerScope()) {
            TinyConvDenoiser model = new TinyConvDenoiser(3, 4, 10, 1);
            ExponentialMovingAverage ema = new ExponentialMovingAverage(model, 0.5);
            try (NoGradScope g = new NoGradScope()) {
                for (Tensor p : model.parameters()) p.mul_(new Scalar(3.0));
            }
            ema.update();
            LinkedHashMap<String, Tensor> state = ema.stateDict();
            assertEquals(model.stateDict().keySet(), state.keySet());
            ExponentialMovingAverage other = new ExponentialMovingAverage(new TinyConvDenoiser(3, 4, 10, 7), 0.5);
            other.loadStateDict(state);
            for (String k : state.keySet()) {
                assertArrayEquals(HostTensors.toFloats(state.get(k)), HostTensors.toFloats(other.stateDict().get(k)));
            }
            LinkedHashMap<String, Tensor> missing = ema.stateDict();
            missing.remove("out.bias");
            assertThrows(IllegalArgumentException.class, () -> other.loadStateDict(missing));
            assertThrows(IllegalArgumentException.class, () -> new ExponentialMovingAverage(model, 1.5));
        }
    }
}
