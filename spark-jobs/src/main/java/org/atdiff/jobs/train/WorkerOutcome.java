package org.atdiff.jobs.train;

import java.io.Serializable;

/**
 * What a training worker reports to the driver.
 *
 * @param step            the last completed step
 * @param nonFiniteReason set when training stopped on a NaN or infinite loss (all workers see the same averaged
 *                        loss, so all stop at the same step); the run is then not relaunched
 * @param rows            the images (replicated) or samples (sharded) the worker held in memory
 */
public record WorkerOutcome(int rank, long step, String nonFiniteReason, int rows) implements Serializable {
    public boolean completed() {
        return nonFiniteReason == null;
    }
}
