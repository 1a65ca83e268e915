package org.atdiff.jobs.cluster;

import java.io.Serializable;
import java.util.Iterator;

/**
 * What each worker of a {@link DataParallelStage} runs, once per attempt, inside a joined {@link GlooGroup}.
 * It is serialized to the executors: capture only serializable values (paths, configuration, seeds).
 *
 * @param <T> the element type of the stage's data
 * @param <R> a small result sent back to the driver (one per rank)
 */
@FunctionalInterface
public interface WorkerBody<T, R extends Serializable> extends Serializable {
    R run(WorkerContext worker, Iterator<T> partition) throws Exception;
}
