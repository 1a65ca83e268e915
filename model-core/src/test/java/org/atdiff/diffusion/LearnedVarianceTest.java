package org.atdiff.diffusion;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class LearnedVarianceTest {
    @Test
    void interpolatesBetweenBetaTildeAndBetaInTheLogDomain() {
        NoiseSchedule s = new LinearSchedule(1000);
        try (PointerScope scope = new PointerScope()) {
            int[] t = {0, 0, 500, 500, 999, 999};
            double[] v = {-1, 1, -1, 0, 1, 3}; // v = 3 extrapolates: improved-diffusion does not clamp v
            Tensor lv = LearnedVariance.logVariance(s, t, HostTensors.fromDoubles(v, 6, 1, 1, 1));
            double[] got = HostTensors.toDoubles(lv);
            double tilde1 = Math.log(s.beta(1) * (1 - s.alphaBar(0)) / (1 - s.alphaBar(1))); // beta~_0 := beta~_1
            double[] expected = {
                tilde1, Math.log(s.beta(0)),
                Math.log(s.posteriorVariance(500)), 0.5 * (Math.log(s.beta(500)) + Math.log(s.posteriorVariance(500))),
                Math.log(s.beta(999)), 2 * Math.log(s.beta(999)) - Math.log(s.posteriorVariance(999)),
            };
            assertArrayEquals(expected, got, 1e-12);
        }
    }

    @Test
    void onARespacedScheduleTheBoundsAreTheRespacedBetas() {
        NoiseSchedule parent = new CosineSchedule(1000);
        RespacedSchedule r = new RespacedSchedule(parent, new int[] {9, 199, 599, 999});
        try (PointerScope scope = new PointerScope()) {
            double[] got = HostTensors.toDoubles(LearnedVariance.logVariance(r, new int[] {2, 2},
                    HostTensors.fromDoubles(new double[] {-1, 1}, 2, 1)));
            double beta = 1 - parent.alphaBar(599) / parent.alphaBar(199);
            double tilde = beta * (1 - parent.alphaBar(199)) / (1 - parent.alphaBar(599));
            assertEquals(Math.log(tilde), got[0], 1e-12);
            assertEquals(Math.log(beta), got[1], 1e-12);
        }
    }

    @Test
    void fixedVariancesAreImprovedDiffusionsSmallAndLarge() {
        NoiseSchedule s = new LinearSchedule(100);
        try (PointerScope scope = new PointerScope()) {
            Tensor like = HostTensors.fromDoubles(new double[3], 3, 1);
            int[] t = {0, 1, 99};
            double[] small = HostTensors.toDoubles(FixedVariance.SMALL.logVariance(s, t, like));
            double[] large = HostTensors.toDoubles(FixedVariance.LARGE.logVariance(s, t, like));
            double tilde1 = Math.log(s.posteriorVariance(1));
            assertArrayEquals(new double[] {tilde1, tilde1, Math.log(s.posteriorVariance(99))}, small, 1e-12);
            assertArrayEquals(new double[] {tilde1, Math.log(s.beta(1)), Math.log(s.beta(99))}, large, 1e-12);
        }
    }
}
