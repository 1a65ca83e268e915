package org.atdiff.jobs.train;

import com.typesafe.config.Config;
import org.atdiff.consistency.ConsistencyNetwork;
import org.atdiff.consistency.ConsistencyParameterization;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.io.Checkpoint;
import org.atdiff.nn.Denoiser;
import org.atdiff.sampling.Sampler;
import org.atdiff.sampling.Samplers;
import org.atdiff.sampling.StatePerturbation;

/**
 * What a checkpoint's network was trained as, read from the configuration JSON every checkpoint carries: its
 * {@code train.objective} (plain, ip, at: a noise predictor; cd, ct: a consistency model) and, for a consistency
 * model, the {@code cm.*} settings that define its consistency function (sigma_data of the skip/out
 * parameterisation). The sampling side uses it to pick how to run the network.
 *
 * @param cm the checkpoint's {@code cm.*} settings; null for a DPM checkpoint
 */
public record TrainedObjective(String objective, ConsistencySettings cm) {
    public TrainedObjective {
        if (!TrainSettings.OBJECTIVES.contains(objective)) {
            throw new IllegalArgumentException("unknown train.objective '" + objective + "'");
        }
        if (TrainSettings.CONSISTENCY_OBJECTIVES.contains(objective) && cm == null) {
            throw new IllegalArgumentException("a consistency model (" + objective + ") needs its cm.* settings");
        }
    }

    /** The objective a checkpoint records in its configuration ({@code source} names it in errors). */
    public static TrainedObjective of(Checkpoint c, String source) {
        return fromConfigJson(c.configJson(), source);
    }

    public static TrainedObjective fromConfigJson(String configJson, String source) {
        try {
            Config config = TrainSettings.parse(configJson);
            // a configuration without train.objective (a checkpoint not written by train) is a noise predictor's
            String objective = config.hasPath("train.objective") ? config.getString("train.objective") : "plain";
            return new TrainedObjective(objective, TrainSettings.CONSISTENCY_OBJECTIVES.contains(objective)
                    ? TrainSettings.consistency(config) : null);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("checkpoint " + source + ": its configuration does not say how it was "
                    + "trained (" + e.getMessage() + ")", e);
        }
    }

    /** True when the network is a consistency model (trained with cd or ct). */
    public boolean consistencyModel() {
        return cm != null;
    }

    /**
     * The sampler {@code name} for this network: {@code cm} needs a consistency model and uses its sigma_data with
     * the re-noising times {@code samplingTimes} (the sampling command's {@code cm.sampling-times}); the other
     * samplers are built as {@link Samplers#named(String, double, TimestepSpacing, ConsistencySettings,
     * StatePerturbation)} builds them, ddpm and ddim on {@code spacing}, with {@code perturbation} on their
     * intermediate states; dpm-solver++ (fractional timesteps) is refused for a consistency model.
     */
    public Sampler sampler(String name, double eta, TimestepSpacing spacing, int[] samplingTimes,
                           StatePerturbation perturbation) {
        if (name.equals("cm")) {
            if (!consistencyModel()) {
                throw new IllegalArgumentException("sample.sampler = cm needs a consistency model (train.objective = cd "
                        + "or ct) but the checkpoint was trained with train.objective = " + objective);
            }
            return Samplers.named(name, eta, spacing, new ConsistencySettings(cm.teacher(), cm.solver(), cm.discretization(),
                    cm.ctInitialSteps(), cm.ctFinalSteps(), cm.rho(), cm.metric(), cm.emaRate(), cm.sigmaData(),
                    samplingTimes));
        }
        if (name.equals("dpm-solver++") && consistencyModel()) {
            throw new IllegalArgumentException("sample.sampler = dpm-solver++ evaluates the network at fractional "
                    + "timesteps, but a consistency model (train.objective = " + objective + ") is defined at integer "
                    + "timesteps only; sample it with cm, ddim or ddpm");
        }
        return Samplers.named(name, eta, spacing, ConsistencySettings.DEFAULTS, perturbation);
    }

    /**
     * The denoiser the noise-prediction samplers (ddpm, ddim, dpm-solver++) should run: the network itself for a DPM,
     * and for a consistency model (ddpm and ddim only) the noise its consistency function's x0 estimate implies
     * ({@link org.atdiff.consistency.ConsistencyFunction#predictNoise}), since its raw output is only the inner
     * network F of f = c_skip x + c_out F. The {@code cm} sampler takes the raw network.
     */
    public Denoiser noisePredictor(Denoiser network, NoiseSchedule schedule) {
        if (!consistencyModel()) return network;
        return new ConsistencyNetwork(network, new ConsistencyParameterization(schedule, cm.sigmaData()));
    }
}
