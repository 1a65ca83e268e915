package org.atdiff.jobs.train;

import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.jobs.cluster.WorkerBody;
import org.atdiff.jobs.cluster.WorkerContext;
import org.atdiff.nn.ModelSpec;
import org.atdiff.train.GradientSync;
import org.bytedeco.pytorch.Tensor;

/**
 * The body of the training barrier stage: every worker receives the whole training split (see
 * {@link DistributedTrainer}), keeps it in memory as uint8, and trains one {@link ReplicaTrainer} whose gradients are
 * averaged over the Gloo group once per optimizer update and, with a loss-aware timestep sampler, whose per-sample
 * (t, loss) pairs are gathered once per step. Captures only strings: the resolved configuration and the model spec
 * as JSON.
 */
final class TrainWorker implements WorkerBody<ImageRow, WorkerOutcome> {
    private final String configJson;
    private final String specJson;

    TrainWorker(String configJson, String specJson) {
        this.configJson = configJson;
        this.specJson = specJson;
    }

    @Override
    public WorkerOutcome run(WorkerContext worker, Iterator<ImageRow> partition) throws Exception {
        TrainSettings settings = TrainSettings.fromConfig(TrainSettings.parse(configJson));
        ModelSpec spec = ModelSpec.fromJson(specJson);
        int c = spec.unet().inChannels(), size = spec.unet().imageSize();
        ImageTable data = ImageTable.collect(partition, c, size, size);
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
        RunDirectory run = new RunDirectory(settings.runDir(), new Configuration());
        return new ReplicaTrainer(settings, configJson, spec, run)
                .train(data, worker.rank(), worker.worldSize(), worker.attempt(), sync);
    }
}
