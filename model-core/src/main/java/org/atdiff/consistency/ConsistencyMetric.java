package org.atdiff.consistency;

import org.atdiff.settings.SettingChecks;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;

/** The distance d(f_theta, f_target) of the consistency loss, per sample (conf key {@code cm.metric}). */
public enum ConsistencyMetric {
    /** Mean over the C H W elements of the squared difference (the squared l2 distance of Song et al. 2023, / d). */
    L2 {
        @Override
        public Tensor perSample(Tensor a, Tensor b) {
            return squaredNorm(a.sub(b)).div(new Scalar((double) elements(a)));
        }
    },
    /**
     * Pseudo-Huber sqrt(||a - b||^2 + c^2) - c with c = 0.00054 sqrt(d), d = C H W (Song and Dhariwal, "Improved
     * Techniques for Training Consistency Models", 2023, sec. 3.3).
     */
    PSEUDO_HUBER {
        @Override
        public Tensor perSample(Tensor a, Tensor b) {
            double c = 0.00054 * Math.sqrt(elements(a));
            return squaredNorm(a.sub(b)).add(new Scalar(c * c)).sqrt().sub(new Scalar(c));
        }
    };

    /** d(a_b, b_b) for every sample b, a tensor [B]. */
    public abstract Tensor perSample(Tensor a, Tensor b);

    public String label() {
        return SettingChecks.configName(this);
    }

    public static ConsistencyMetric named(String name) {
        return SettingChecks.choice("cm.metric", name, values(), ConsistencyMetric::label);
    }

    private static long elements(Tensor x) {
        return x.numel() / x.size(0);
    }

    private static Tensor squaredNorm(Tensor diff) {
        return diff.reshape(diff.size(0), -1).square().sum(new long[] {1}, false, new ScalarTypeOptional());
    }
}
