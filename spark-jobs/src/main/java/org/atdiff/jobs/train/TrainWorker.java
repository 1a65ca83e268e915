package org.atdiff.jobs.train;

import java.util.Iterator;
import org.apache.spark.util.SerializableConfiguration;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.jobs.cluster.WorkerBody;
import org.atdiff.jobs.cluster.WorkerContext;
import org.atdiff.train.GradientSync;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The body of the training barrier stage: every worker receives its rows (the whole training split with replicated
 * placement, the samples routed to it for one span of steps with sharded placement, see {@link DistributedTrainer}),
 * keeps them in memory as uint8, logs how many it holds, and trains one {@link ReplicaTrainer} whose gradients are
 * averaged over the Gloo group once per optimizer update and, with a loss-aware timestep sampler, whose per-sample
 * (t, loss) pairs are gathered once per step. Captures the driver's {@link TrainPlan} (checked settings, model spec,
 * start step, span) and the session's Hadoop configuration (so {@code spark.hadoop.*} keys reach the workers' file
 * systems).
 */
final class TrainWorker implements WorkerBody<ImageRow, WorkerOutcome> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainWorker.class);
    private final TrainPlan plan;
    private final SerializableConfiguration hadoop;

    TrainWorker(TrainPlan plan, SerializableConfiguration hadoop) {
        this.plan = plan;
        this.hadoop = hadoop;
    }

    @Override
    public WorkerOutcome run(WorkerContext worker, Iterator<ImageRow> partition) throws Exception {
        ModelSpec spec = plan.spec();
        ShardSpan span = plan.span();
        int c = spec.unet().inChannels(), size = spec.unet().imageSize();
        ImageTable data = ImageTable.collect(partition, c, size, size);
        LOG.info("train worker {} of {} holds {} rows ({} placement{})", worker.rank(), worker.worldSize(), data.size(),
                span == null ? "replicated" : "sharded", span == null ? "" : ", steps " + (span.from() + 1) + ".." + span.until());
        GradientSync sync = new GradientSync() {
            @Override
            public void allReduceMean(Tensor flat) {
                worker.allReduceMean(flat);
            }

            @Override
            public double[] allGather(double[] local) {
                return worker.allGather(local);
            }

            @Override
            public int worldSize() {
                return worker.worldSize();
            }
        };
        RunDirectory run = new RunDirectory(plan.settings().runDir(), hadoop.value());
        return new ReplicaTrainer(plan, run).train(data, worker.rank(), worker.worldSize(), worker.attempt(), sync);
    }
}
