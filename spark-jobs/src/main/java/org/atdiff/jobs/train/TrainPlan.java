package org.atdiff.jobs.train;

import java.io.Serializable;
import org.atdiff.diffusion.ModelSpec;

/**
 * What the driver ships to every training worker of a stage, checked once on the driver
 * ({@link DistributedTrainer#prepare}): the workers neither parse nor validate the configuration again.
 *
 * @param settings   the run's settings, with its objective ({@link TrainSettings#objective()}) and data placement
 * @param spec       the model every replica builds
 * @param configJson the resolved configuration as one line of JSON, recorded in every checkpoint as it is (workers do
 *                   not read it)
 * @param startStep  the step of the newest checkpoint the driver saw (0 for a fresh run, or when no driver looked): a
 * worker that finds an older
 *                   one (a run directory changed under the run, a file system that lists late) fails rather than
 *                   train those steps again
 * @param span       the steps a sharded stage trains, on the samples routed to each worker for them; null when every
 *                   worker holds the whole split (replicated placement, or one local replica) and trains to the end
 */
public record TrainPlan(TrainSettings settings, ModelSpec spec, String configJson, long startStep, ShardSpan span)
        implements Serializable {
    public TrainPlan {
        if (settings == null || spec == null || configJson == null) {
            throw new IllegalArgumentException("a training plan needs settings, a model spec and the configuration");
        }
        if (startStep < 0) throw new IllegalArgumentException("start step must be >= 0: " + startStep);
        if (span != null && span.from() != startStep) {
            throw new IllegalArgumentException("a sharded stage starts at its span's first step " + span.from()
                    + ", not " + startStep);
        }
    }
}
