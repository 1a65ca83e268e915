package org.atdiff.nn;

import org.atdiff.random.RandomStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/** Moves every weight of a U-Net off its initial value, so that zero-initialised layers do not hide a path. */
final class TestWeights {
    private TestWeights() {}

    static void perturb(UNet model, long seed, double scale) {
        RandomStream s = new RandomStream(seed);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Tensor p : model.parameters()) {
                p.add_(s.normal(p.sizes().vec().get()).to(p.scalar_type()).mul(new org.bytedeco.pytorch.Scalar(scale)));
            }
        }
    }
}
