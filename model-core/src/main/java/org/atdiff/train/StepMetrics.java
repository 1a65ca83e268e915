package org.atdiff.train;

import java.util.LinkedHashMap;
import java.util.OptionalDouble;

/**
 * What one training step reports (one metrics.jsonl line).
 *
 * @param step         number of minibatch steps completed, this one included (1 after the first step)
 * @param loss         mean over this step's updates of the loss averaged across workers
 * @param gradNorm     mean over this step's updates of the global gradient l2 norm before clipping
 * @param lr           learning rate used
 * @param deltaNorm    mean per-sample ||delta||_2 of the last adversarial replay (AT only)
 * @param imagesPerSec minibatch images of all workers per second of this step
 * @param updates      optimizer updates taken in this step (K for free AT, else 1)
 */
public record StepMetrics(long step, double loss, double gradNorm, double lr, OptionalDouble deltaNorm,
                          double imagesPerSec, int updates) {
    /** The fields under the metrics.jsonl names: step, loss, grad_norm, lr, images_per_sec and delta_norm with AT. */
    public LinkedHashMap<String, Object> asMap() {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("loss", loss);
        m.put("grad_norm", gradNorm);
        m.put("lr", lr);
        m.put("images_per_sec", imagesPerSec);
        deltaNorm.ifPresent(d -> m.put("delta_norm", d));
        return m;
    }
}
