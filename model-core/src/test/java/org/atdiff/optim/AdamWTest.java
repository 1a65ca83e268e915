package org.atdiff.optim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class AdamWTest {
    private static final double[][] GRADS = {{0.1, -0.3, 2.0}, {-0.2, 0.0, 1.0}, {0.5, 0.25, -1.5}};

    static Tensor param(double... v) {
        return HostTensors.fromDoubles(v, v.length).set_requires_grad(true);
    }

    static void setGrad(Tensor p, double... g) {
        p.mutable_grad().put(HostTensors.fromDoubles(g, g.length));
    }

    /** Algorithm 2 of Loshchilov and Hutter with torch's bias correction, written out in doubles. */
    private static double[] reference(double[] p, double lr, double wd) {
        double b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double[] m = new double[p.length], v = new double[p.length], x = p.clone();
        for (int t = 1; t <= GRADS.length; t++) {
            for (int i = 0; i < x.length; i++) {
                double g = GRADS[t - 1][i];
                x[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                x[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        return x;
    }

    @Test
    void threeStepsMatchTheHandComputationAndTorch() {
        try (PointerScope scope = new PointerScope()) {
            Tensor p = param(1.0, -2.0, 0.5);
            AdamW opt = new AdamW(List.of(p), 0.9, 0.999, 1e-8, 0.05);
            for (double[] g : GRADS) {
                setGrad(p, g);
                opt.step(0.1);
            }
            double[] got = HostTensors.toDoubles(p);
            assertArrayEquals(reference(new double[] {1.0, -2.0, 0.5}, 0.1, 0.05), got, 1e-12);
            // torch.optim.AdamW(lr=0.1, weight_decay=0.05), PyTorch 1.13, same gradients, float64
            assertArrayEquals(new double[] {0.8757260281983545, -1.8056222199556082, 0.27656859671875017}, got, 1e-12);
            assertEquals(3, opt.steps());
        }
    }

    @Test
    void weightDecayIsDecoupledFromTheGradientStatistics() {
        try (PointerScope scope = new PointerScope()) {
            // with a zero gradient the adaptive term vanishes: only theta (1 - lr lambda) remains, whatever the scale
            Tensor p = param(4.0, -0.001);
            AdamW opt = new AdamW(List.of(p), 0.25);
            setGrad(p, 0.0, 0.0);
            opt.step(0.2);
            assertArrayEquals(new double[] {4.0 * 0.95, -0.001 * 0.95}, HostTensors.toDoubles(p), 1e-15);
            // and the decay does not enter the moments: the same gradients give the same adaptive step as without decay
            Tensor a = param(1.0), b = param(1.0);
            AdamW withDecay = new AdamW(List.of(a), 0.1), without = new AdamW(List.of(b), 0.0);
            setGrad(a, 0.3);
            setGrad(b, 0.3);
            withDecay.step(0.01);
            without.step(0.01);
            assertEquals(HostTensors.toDoubles(b)[0] - 1.0 * 0.01 * 0.1, HostTensors.toDoubles(a)[0], 1e-15);
        }
    }

    @Test
    void stateDictRoundTripContinuesIdentically() {
        try (PointerScope scope = new PointerScope()) {
            Tensor p = param(1.0, -2.0, 0.5), q = param(1.0, -2.0, 0.5);
            AdamW a = new AdamW(List.of(p), 0.01);
            for (int s = 0; s < 2; s++) {
                setGrad(p, GRADS[s]);
                a.step(0.1);
            }
            LinkedHashMap<String, Tensor> state = a.stateDict();
            assertEquals(List.of("exp_avg.0", "exp_avg_sq.0", "step"), List.copyOf(state.keySet()));
            assertEquals(2, HostTensors.toLongs(state.get("step"))[0]);
            q.detach().copy_(p.detach());
            AdamW b = new AdamW(List.of(q), 0.01);
            b.loadStateDict(state);
            assertEquals(2, b.steps());
            setGrad(p, GRADS[2]);
            setGrad(q, GRADS[2]);
            a.step(0.1);
            b.step(0.1);
            assertArrayEquals(HostTensors.toDoubles(p), HostTensors.toDoubles(q), 0.0);
        }
    }

    @Test
    void badStateAndSettingsAreNamed() {
        try (PointerScope scope = new PointerScope()) {
            Tensor p = param(1.0, 2.0);
            AdamW a = new AdamW(List.of(p), 0.0);
            LinkedHashMap<String, Tensor> state = a.stateDict();
            state.remove("exp_avg_sq.0");
            state.put("other", HostTensors.fromDoubles(new double[] {0}, 1));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.loadStateDict(state)).getMessage().contains("exp_avg_sq.0"));
            LinkedHashMap<String, Tensor> wrong = a.stateDict();
            wrong.put("exp_avg.0", HostTensors.fromDoubles(new double[] {0, 0, 0}, 3));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.loadStateDict(wrong)).getMessage().contains("shape"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(p), 1.0, 0.999, 1e-8, 0))
                    .getMessage().contains("beta1"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(p), -0.1))
                    .getMessage().contains("weight-decay"));
        }
    }
}
