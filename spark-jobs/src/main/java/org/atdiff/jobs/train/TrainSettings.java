package org.atdiff.jobs.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.atdiff.consistency.ConsistencyMetric;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.consistency.TeacherSolver;
import org.atdiff.objective.AdversarialSettings;
import org.atdiff.objective.TimestepSampler;
import org.atdiff.train.Precision;
import org.atdiff.objective.TrainingObjective;
import org.atdiff.optim.AdamW;
import org.atdiff.optim.ExponentialMovingAverage;
import org.atdiff.optim.GradientClipping;
import org.atdiff.optim.LearningRateSchedule;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.prep.DatasetSplit;

/**
 * The {@code train.*}, {@code at.*}, {@code ip.*}, {@code cm.*}, {@code run.*} and {@code data.*} keys of a training
 * run, checked when built: every bad value is an {@link IllegalArgumentException} naming its configuration path,
 * before any Spark work starts. The learning rate and its schedule are defined on the global batch (per-worker batch
 * x workers).
 *
 * @param cmAdversarial {@code train.adversarial}: free AT (the {@code at.*} settings) of the consistency objectives
 * @param cm            the {@code cm.*} settings of the consistency objectives {@code cd} and {@code ct}
 * @param timestepSampler {@code train.timestep-sampler}: how plain, ip and at draw t ({@link TimestepSampler#NAMES})
 * @param dataPlacement {@code train.data-placement}: how the training split reaches the workers
 */
public record TrainSettings(String objective, long steps, int batchSize, int workers, double lr, double beta1,
        double beta2, double eps, double weightDecay, long warmupSteps, double gradClip, double emaRate,
        long checkpointEvery, int keepCheckpoints, long logEvery, int maxAttempts, Duration collectiveTimeout,
        String initCheckpoint, double ipGamma, AdversarialSettings adversarial, long seed, String runDir,
        String dataPath, DatasetSplit split, int threads, boolean cmAdversarial, ConsistencySettings cm, Precision precision,
        String timestepSampler, DataPlacement dataPlacement) {
    /** The consistency-model objectives: distillation and (improved) consistency training. */
    public static final List<String> CONSISTENCY_OBJECTIVES = List.of("cd", "ct");
    /** Every value {@code train.objective} accepts. */
    public static final List<String> OBJECTIVES = objectives();

    private static List<String> objectives() {
        List<String> all = new ArrayList<>(TrainingObjective.NAMES);
        all.addAll(CONSISTENCY_OBJECTIVES);
        return List.copyOf(all);
    }

    public TrainSettings {
        if (!OBJECTIVES.contains(objective)) {
            throw new IllegalArgumentException("train.objective '" + objective + "' is not available (valid: "
                    + String.join(", ", OBJECTIVES) + ")");
        }
        if (cm == null) throw new IllegalArgumentException("cm.* settings must be given");
        if (dataPlacement == null) throw new IllegalArgumentException("train.data-placement must be given");
        if (objective.equals("cd")) cm.requireTeacher();
        if (cmAdversarial && !CONSISTENCY_OBJECTIVES.contains(objective)) {
            throw new IllegalArgumentException("train.adversarial applies to train.objective = cd or ct only, not '"
                    + objective + "' (adversarial DPM training is train.objective = at)");
        }
        if (objective.equals("cd") && !initCheckpoint.isBlank()) {
            throw new IllegalArgumentException("train.init-checkpoint is not used with train.objective = cd: the "
                    + "student starts from the teacher cm.teacher = " + cm.teacher());
        }
        atLeast("train.steps", steps, 1);
        atLeast("train.batch-size", batchSize, 1);
        atLeast("train.workers", workers, 0);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("train.lr must be > 0 but is " + lr);
        unitInterval("train.beta1", beta1);
        unitInterval("train.beta2", beta2);
        if (!(eps > 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("train.eps must be > 0 but is " + eps);
        nonNegative("train.weight-decay", weightDecay);
        atLeast("train.warmup-steps", warmupSteps, 0);
        nonNegative("train.grad-clip", gradClip);
        unitInterval("train.ema-rate", emaRate);
        atLeast("train.checkpoint-every", checkpointEvery, 1);
        atLeast("train.keep-checkpoints", keepCheckpoints, 1);
        atLeast("train.log-every", logEvery, 1);
        atLeast("train.max-attempts", maxAttempts, 1);
        if (collectiveTimeout.isNegative() || collectiveTimeout.isZero()) {
            throw new IllegalArgumentException("train.collective-timeout must be positive but is " + collectiveTimeout);
        }
        nonNegative("ip.gamma", ipGamma);
        if (adversarial == null) throw new IllegalArgumentException("at.* settings must be given");
        if (runDir == null || runDir.isBlank()) throw new IllegalArgumentException("run.dir must not be empty");
        if (dataPath == null || dataPath.isBlank()) throw new IllegalArgumentException("data.path must not be empty");
        if (split == null) throw new IllegalArgumentException("data.split must be given");
        atLeast("engine.threads", threads, 0);
        if (!TimestepSampler.NAMES.contains(timestepSampler)) {
            throw new IllegalArgumentException("train.timestep-sampler '" + timestepSampler + "' is not one of "
                    + String.join(", ", TimestepSampler.NAMES));
        }
        if (!timestepSampler.equals("uniform") && CONSISTENCY_OBJECTIVES.contains(objective)) {
            throw new IllegalArgumentException("train.timestep-sampler = " + timestepSampler + " applies to the DPM "
                    + "objectives plain, ip and at, not to train.objective = " + objective + " (its own discretisation)");
        }
    }

    /** Reads and checks the keys; a missing or ill-typed key is an error naming it. */
    public static TrainSettings fromConfig(Config c) {
        try {
            Precision precision = Precision.named(c.getString("train.precision"));
            // AdversarialSettings names the at.* key of a bad value
            AdversarialSettings at = new AdversarialSettings(c.getInt("at.steps"), c.getDouble("at.rho"),
                    c.getDouble("at.alpha"), AdversarialSettings.Norm.named(c.getString("at.norm")),
                    AdversarialSettings.Target.named(c.getString("at.target")));
            return new TrainSettings(c.getString("train.objective"), c.getLong("train.steps"),
                    c.getInt("train.batch-size"), c.getInt("train.workers"), c.getDouble("train.lr"),
                    c.getDouble("train.beta1"), c.getDouble("train.beta2"), c.getDouble("train.eps"),
                    c.getDouble("train.weight-decay"), c.getLong("train.warmup-steps"), c.getDouble("train.grad-clip"),
                    c.getDouble("train.ema-rate"), c.getLong("train.checkpoint-every"), c.getInt("train.keep-checkpoints"),
                    c.getLong("train.log-every"), c.getInt("train.max-attempts"), c.getDuration("train.collective-timeout"),
                    c.getString("train.init-checkpoint"), c.getDouble("ip.gamma"), at, c.getLong("run.seed"),
                    c.getString("run.dir"), c.getString("data.path"), DatasetSplit.parse(c.getString("data.split"), "data.split"), c.getInt("engine.threads"),
                    c.getBoolean("train.adversarial"), consistency(c), precision, c.getString("train.timestep-sampler"),
                    DataPlacement.named(c.getString("train.data-placement")));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The {@code cm.*} settings; a bad value is an error naming its key. */
    public static ConsistencySettings consistency(Config c) {
        try {
            List<Integer> times = c.getIntList("cm.sampling-times");
            return new ConsistencySettings(c.getString("cm.teacher"), TeacherSolver.named(c.getString("cm.solver")),
                    c.getInt("cm.discretization"), c.getInt("cm.ct-initial-steps"), c.getInt("cm.ct-final-steps"),
                    c.getDouble("cm.rho"), ConsistencyMetric.named(c.getString("cm.metric")), c.getDouble("cm.ema-rate"),
                    c.getDouble("cm.sigma-data"), times.stream().mapToInt(Integer::intValue).toArray());
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** True for the consistency objectives cd and ct (built by {@link ConsistencyReplica}). */
    public boolean consistencyObjective() {
        return CONSISTENCY_OBJECTIVES.contains(objective);
    }

    /** The free AT settings the consistency objective uses: {@code at.*} with {@code train.adversarial}, else null. */
    public AdversarialSettings consistencyAdversarial() {
        return cmAdversarial ? adversarial : null;
    }

    /**
     * The DPM objective these settings name (plain, ip, at), drawing t from {@code timesteps} (see
     * {@link #timestepSampler(int)}); cd and ct come from {@link ConsistencyReplica}.
     */
    public TrainingObjective trainingObjective(TimestepSampler timesteps) {
        if (consistencyObjective()) {
            throw new IllegalStateException("train.objective = " + objective + " is built by ConsistencyReplica");
        }
        return TrainingObjective.named(objective, ipGamma, adversarial, timesteps);
    }

    /** A fresh sampler of {@code train.timestep-sampler} for a schedule of T = {@code timesteps}. */
    public TimestepSampler timestepSampler(int timesteps) {
        return TimestepSampler.named(timestepSampler, timesteps);
    }

    /** The objective as the run reports it, e.g. {@code cd+at} for adversarial consistency distillation. */
    public String objectiveLabel() {
        return cmAdversarial ? objective + "+at" : objective;
    }

    public AdamW optimizer(TrainableDenoiser model) {
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

    private static void atLeast(String key, long v, long min) {
        if (v < min) throw new IllegalArgumentException(key + " must be >= " + min + " but is " + v);
    }

    private static void nonNegative(String key, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) throw new IllegalArgumentException(key + " must be >= 0 but is " + v);
    }

    private static void unitInterval(String key, double v) {
        if (!(v >= 0 && v < 1)) throw new IllegalArgumentException(key + " must be in [0, 1) but is " + v);
    }
}
