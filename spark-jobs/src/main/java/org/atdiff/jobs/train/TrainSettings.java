package org.atdiff.jobs.train;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.given;
import static org.atdiff.settings.SettingChecks.inRange;
import static org.atdiff.settings.SettingChecks.nonEmpty;
import static org.atdiff.settings.SettingChecks.positive;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.Serializable;
import java.time.Duration;
import org.atdiff.consistency.ConsistencyMetric;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.consistency.TeacherSolver;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.prep.DatasetSplit;
import org.atdiff.train.ObjectiveSettings;
import org.atdiff.train.Precision;

/**
 * The {@code train.*}, {@code at.*}, {@code ip.*}, {@code cm.*}, {@code run.*} and {@code data.*} keys of a training
 * run, checked when built: every bad value is an {@link IllegalArgumentException} naming its configuration path,
 * before any Spark work starts. The learning rate and its schedule are defined on the global batch (per-worker batch
 * x workers). Serializable: the driver ships them to the workers in a {@link TrainPlan}.
 *
 * @param objective     {@code train.objective} with the keys it reads ({@code ip.*}, {@code at.*}, {@code cm.*},
 *                      {@code train.adversarial}, {@code train.timestep-sampler})
 * @param dataPlacement {@code train.data-placement}: how the training split reaches the workers
 */
public record TrainSettings(ObjectiveSettings objective, long steps, int batchSize, int workers, Optimizer optimizer,
        Checkpointing checkpointing, long logEvery, Recovery recovery, String initCheckpoint, long seed, String runDir,
        String dataPath, DatasetSplit split, int threads, Precision precision, DataPlacement dataPlacement)
        implements Serializable {

    /**
     * AdamW with a linear learning-rate warm-up, gradient clipping and the EMA of the weights ({@code train.lr},
     * {@code beta1}, {@code beta2}, {@code eps}, {@code weight-decay}, {@code warmup-steps}, {@code grad-clip},
     * {@code ema-rate}).
     */
    public record Optimizer(double lr, double beta1, double beta2, double eps, double weightDecay, long warmupSteps,
            double gradClip, double emaRate) implements Serializable {
        public Optimizer {
            positive("train.lr", lr);
            inRange("train.beta1", beta1, 0, 1, true);
            inRange("train.beta2", beta2, 0, 1, true);
            positive("train.eps", eps);
            atLeast("train.weight-decay", weightDecay, 0.0);
            atLeast("train.warmup-steps", warmupSteps, 0);
            atLeast("train.grad-clip", gradClip, 0.0);
            inRange("train.ema-rate", emaRate, 0, 1, true);
        }

        static Optimizer read(SettingsReader r) {
            return new Optimizer(r.number("train.lr"), r.number("train.beta1"), r.number("train.beta2"),
                    r.number("train.eps"), r.number("train.weight-decay"), r.longValue("train.warmup-steps"),
                    r.number("train.grad-clip"), r.number("train.ema-rate"));
        }

        public AdamW adamW(TrainableDenoiser model) {
            return new AdamW(model.parameters(), beta1, beta2, eps, weightDecay);
        }

        public LearningRateSchedule learningRate() {
            return new LearningRateSchedule(lr, warmupSteps);
        }

        public GradientClipping clipping() {
            return new GradientClipping(gradClip);
        }

        public ExponentialMovingAverage ema(TrainableDenoiser model) {
            return new ExponentialMovingAverage(model, emaRate);
        }
    }

    /** A checkpoint every {@code train.checkpoint-every} steps, the newest {@code train.keep-checkpoints} kept. */
    public record Checkpointing(long every, int keep) implements Serializable {
        public Checkpointing {
            atLeast("train.checkpoint-every", every, 1);
            atLeast("train.keep-checkpoints", keep, 1);
        }
    }

    /**
     * How a failed stage is relaunched: {@code train.max-attempts} launches in all, and {@code train.collective-timeout}
     * for the rendezvous and every collective (a lost worker fails the attempt after it).
     */
    public record Recovery(int maxAttempts, Duration collectiveTimeout) implements Serializable {
        public Recovery {
            atLeast("train.max-attempts", maxAttempts, 1);
            if (collectiveTimeout.isNegative() || collectiveTimeout.isZero()) {
                throw new IllegalArgumentException("train.collective-timeout must be positive but is " + collectiveTimeout);
            }
        }
    }

    public TrainSettings {
        given("train.objective", objective);
        given("train.data-placement", dataPlacement);
        if (objective.teacher().isPresent() && !initCheckpoint.isBlank()) {
            throw new IllegalArgumentException("train.init-checkpoint is not used with train.objective = "
                    + objective.name() + ": the student starts from the teacher cm.teacher = " + objective.teacher().get());
        }
        atLeast("train.steps", steps, 1);
        atLeast("train.batch-size", batchSize, 1);
        atLeast("train.workers", workers, 0);
        given("train.* optimizer settings", optimizer);
        given("train.* checkpoint settings", checkpointing);
        atLeast("train.log-every", logEvery, 1);
        given("train.* recovery settings", recovery);
        nonEmpty("run.dir", runDir);
        nonEmpty("data.path", dataPath);
        given("data.split", split);
        atLeast("engine.threads", threads, 0);
    }

    /** Reads and checks the keys; a missing or ill-typed key is an error naming it. */
    public static TrainSettings fromConfig(Config c) {
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static TrainSettings read(SettingsReader r) {
        return new TrainSettings(objective(r), r.longValue("train.steps"), r.integer("train.batch-size"),
                r.integer("train.workers"), Optimizer.read(r),
                new Checkpointing(r.longValue("train.checkpoint-every"), r.integer("train.keep-checkpoints")),
                r.longValue("train.log-every"), new Recovery(r.integer("train.max-attempts"),
                r.positiveDuration("train.collective-timeout")), r.string("train.init-checkpoint"),
                r.longValue("run.seed"), r.string("run.dir"), r.string("data.path"),
                r.named("data.split", v -> DatasetSplit.parse(v, "data.split")), r.integer("engine.threads"),
                r.named("train.precision", Precision::named), r.named("train.data-placement", DataPlacement::named));
    }

    /** The objective settings ({@code train.objective}, {@code ip.*}, {@code at.*}, {@code cm.*}). */
    private static ObjectiveSettings objective(SettingsReader r) {
        return new ObjectiveSettings(r.string("train.objective"), r.number("ip.gamma"), adversarial(r),
                r.bool("train.adversarial"), consistency(r), r.string("train.timestep-sampler"));
    }

    /** The {@code at.*} settings of free adversarial training. */
    public static AdversarialSettings adversarial(SettingsReader r) {
        return new AdversarialSettings(r.integer("at.steps"), r.number("at.rho"), r.number("at.alpha"),
                r.named("at.norm", AdversarialSettings.Norm::named), r.named("at.target", AdversarialSettings.Target::named));
    }

    /**
     * The objective a checkpoint's network was trained with, read from the configuration every checkpoint carries
     * ({@code source} names the checkpoint in errors); the sampling side uses it to pick how to run the network. Keys
     * the configuration lacks (a checkpoint written before they existed, or not by train) take
     * conf/application.conf's values: a configuration without {@code train.objective} is a noise predictor's.
     */
    public static ObjectiveSettings trainedObjective(String configJson, String source) {
        try {
            return objective(new SettingsReader(parse(configJson).withFallback(AtdiffConfig.reference()).resolve()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("checkpoint " + source + ": its configuration does not say how it was "
                    + "trained (" + e.getMessage() + ")", e);
        }
    }

    /** The {@code cm.*} settings. */
    public static ConsistencySettings consistency(SettingsReader r) {
        return new ConsistencySettings(r.string("cm.teacher"), r.named("cm.solver", TeacherSolver::named),
                r.integer("cm.discretization"), r.integer("cm.ct-initial-steps"), r.integer("cm.ct-final-steps"),
                r.number("cm.rho"), r.named("cm.metric", ConsistencyMetric::named), r.number("cm.ema-rate"),
                r.number("cm.sigma-data"), r.intArray("cm.sampling-times"));
    }

    /** The resolved configuration as one line of JSON (stored in checkpoints and shipped to workers). */
    public static String toJson(Config c) {
        return c.root().render(ConfigRenderOptions.concise());
    }

    /** The resolved configuration as HOCON (config.conf of a run). */
    public static String toHocon(Config c) {
        return c.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setComments(false).setJson(false));
    }

    public static Config parse(String json) {
        return ConfigFactory.parseString(json).resolve();
    }
}
