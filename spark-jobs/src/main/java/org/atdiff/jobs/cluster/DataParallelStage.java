package org.atdiff.jobs.cluster;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.atdiff.tensor.EngineThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Runs a {@link WorkerBody} on N workers at once as a Spark barrier stage, one task per partition of the data:
 * each task takes its partition id as rank, rank 0 serves the rendezvous store on its executor's address and
 * publishes it through {@code BarrierTaskContext.allGather}, all ranks join a {@link GlooGroup}, run the body, and
 * close the group whatever happens.
 *
 * <p>A failed barrier stage that ends a job is not rerun by Spark, so the driver relaunches the whole stage, up to
 * {@code maxAttempts} launches in all (the body resumes from whatever it persisted, e.g. the latest checkpoint).
 * Successive {@link #run} calls on one instance (e.g. one stage per epoch) share that budget: the attempt number a
 * body sees is 1 + the launches that failed so far, and the calls stop once {@code maxAttempts} have failed.
 */
public final class DataParallelStage {
    private static final Logger LOG = LoggerFactory.getLogger(DataParallelStage.class);

    private final JavaSparkContext sc;
    private final String name;
    private final int maxAttempts;
    private final Duration collectiveTimeout;
    private final int threadsPerTask;
    private int failedLaunches, launches;

    /**
     * @param name              shown in the Spark UI's job descriptions, e.g. "atdiff train"
     * @param maxAttempts       launches in all before giving up (>= 1)
     * @param collectiveTimeout timeout of the rendezvous and of every collective
     * @param threadsPerTask    libtorch intra-op threads per task; 0 = the cores Spark gives a task (spark.task.cpus)
     */
    public DataParallelStage(JavaSparkContext sc, String name, int maxAttempts, Duration collectiveTimeout, int threadsPerTask) {
        if (maxAttempts < 1) throw new IllegalArgumentException("train.max-attempts must be >= 1 but is " + maxAttempts);
        if (collectiveTimeout.isNegative() || collectiveTimeout.isZero()) {
            throw new IllegalArgumentException("train.collective-timeout must be positive but is " + collectiveTimeout);
        }
        if (threadsPerTask < 0) throw new IllegalArgumentException("engine.threads must be >= 0 but is " + threadsPerTask);
        this.sc = sc;
        this.name = name;
        this.maxAttempts = maxAttempts;
        this.collectiveTimeout = collectiveTimeout;
        this.threadsPerTask = threadsPerTask;
    }

    /** One worker per executor (one in local mode); the meaning of {@code train.workers = 0}. */
    public static int workersPerExecutor(JavaSparkContext sc) {
        return Math.max(1, sc.sc().getExecutorIds().size());
    }

    /**
     * Runs {@code body} on {@code workers} workers, after repartitioning {@code data} into that many partitions if
     * it has another number (a barrier stage needs exactly one partition per task, and no coalesce in its chain).
     */
    public <T, R extends Serializable> List<R> run(JavaRDD<T> data, int workers, WorkerBody<T, R> body) {
        if (workers < 1) throw new IllegalArgumentException("train.workers must resolve to >= 1 but is " + workers);
        return run(data.getNumPartitions() == workers ? data : data.repartition(workers), body);
    }

    /**
     * Runs {@code body} on every partition of {@code data} at once (one worker per partition) and returns the
     * workers' results ordered by rank. Throws {@link IllegalStateException} once all attempts have failed.
     */
    @SuppressWarnings("unchecked")
    public <T, R extends Serializable> List<R> run(JavaRDD<T> data, WorkerBody<T, R> body) {
        int workers = data.getNumPartitions();
        String runKey = sc.sc().applicationId() + "-" + UUID.randomUUID().toString().substring(0, 8);
        String callerDescription = sc.getLocalProperty("spark.job.description");
        List<Exception> failures = new ArrayList<>();
        while (failedLaunches < maxAttempts) {
            int attempt = failedLaunches + 1;
            launches++;
            String description = name + ": attempt " + attempt + " of " + maxAttempts + ", " + workers + " workers";
            LOG.info("{}", description);
            sc.setJobDescription(description);
            try {
                BarrierTask<T, R> task = new BarrierTask<>(body, runKey, launches, attempt, collectiveTimeout, threadsPerTask);
                ClassTag<RankResult<R>> tag = ClassTag$.MODULE$.apply(RankResult.class);
                Object[] collected = (Object[]) data.rdd().barrier().mapPartitions(task, false, tag).collect();
                List<R> results = new ArrayList<>(workers);
                Arrays.stream(collected).map(o -> (RankResult<R>) o)
                        .sorted(Comparator.comparingInt(RankResult::rank))
                        .forEach(r -> results.add(r.value()));
                return results;
            } catch (Exception e) {
                failures.add(e);
                failedLaunches++;
                LOG.warn("{}: attempt {} of {} failed: {}", name, attempt, maxAttempts, firstLine(e));
                if (sc.sc().isStopped() || relaunchCannotHelp(e)) break;
            } finally {
                sc.setJobDescription(callerDescription);
            }
        }
        if (failures.isEmpty()) {
            throw new IllegalStateException(name + " failed in all " + maxAttempts + " attempts of earlier stages");
        }
        Exception last = failures.get(failures.size() - 1);
        String what = failedLaunches < maxAttempts ? " was stopped after " + failedLaunches + " attempt(s)"
                : " failed in all " + maxAttempts + " attempts";
        IllegalStateException failed = new IllegalStateException(name + what + "; last error: " + firstLine(last), last);
        failures.subList(0, failures.size() - 1).forEach(failed::addSuppressed);
        throw failed;
    }

    /** A job cancelled on purpose (Spark UI, {@code cancelJob}) or a body that cannot be serialized. */
    private static boolean relaunchCannotHelp(Exception e) {
        String m = String.valueOf(e.getMessage());
        return (m.startsWith("Job ") && m.contains(" cancelled")) || m.startsWith("Task not serializable");
    }

    /** Spark's first line, and the next one when it names the worker's exception (a barrier failure's message does). */
    private static String firstLine(Throwable e) {
        String[] lines = String.valueOf(e.getMessage()).split("\n");
        boolean cause = lines.length > 1 && !lines[1].isBlank() && !lines[1].trim().startsWith("at ");
        return cause ? lines[0] + " " + lines[1].trim() : lines[0];
    }

    /** One rank's result, tagged with its rank so the driver can order them. */
    record RankResult<R>(int rank, R value) implements Serializable {}

    /** The function each barrier task runs: join the group, run the body, always leave the group. */
    private static final class BarrierTask<T, R extends Serializable>
            extends AbstractFunction1<Iterator<T>, Iterator<RankResult<R>>> implements Serializable {
        private final WorkerBody<T, R> body;
        private final String runKey;
        private final int launch, attempt;
        private final Duration timeout;
        private final int threadsPerTask;

        BarrierTask(WorkerBody<T, R> body, String runKey, int launch, int attempt, Duration timeout, int threadsPerTask) {
            this.body = body;
            this.runKey = runKey;
            this.launch = launch;
            this.attempt = attempt;
            this.timeout = timeout;
            this.threadsPerTask = threadsPerTask;
        }

        @Override
        public Iterator<RankResult<R>> apply(Iterator<T> partition) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId();
            int worldSize = ctx.getTaskInfos().length;
            EngineThreads.use(EngineThreads.resolve(threadsPerTask, ctx.cpus()));
            String host = SparkEnv.get().blockManager().blockManagerId().host();
            // Keys of this run and launch only: a client of an earlier launch or another run cannot join.
            String prefix = "atdiff/" + runKey + "/" + launch + "." + ctx.stageAttemptNumber() + "/";
            try (GlooGroup group = GlooGroup.join(rank, worldSize, host, prefix, timeout, ctx::allGather)) {
                WorkerContext worker = new WorkerContext(rank, worldSize, attempt, group, ctx::killTaskIfInterrupted);
                R value = body.run(worker, JavaConverters.asJavaIterator(partition));
                return scala.collection.Iterator$.MODULE$.single(new RankResult<>(rank, value));
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("worker " + rank + " of " + worldSize + " failed: " + e.getMessage(), e);
            }
        }
    }
}
