package org.atdiff.train;

import org.atdiff.consistency.ConsistencyMetric;
import org.atdiff.consistency.ConsistencySettings;
import org.atdiff.consistency.TeacherSolver;
import org.atdiff.objective.AdversarialSettings;

/**
 * The {@code at.*} and {@code cm.*} values of conf/application.conf, for the tests of modules that cannot read it
 * (no Typesafe Config in model-core); spark-jobs' SettingsCoverageTest fails when they differ from the file's.
 */
public final class ReferenceSettings {
    /** at.*: the released configuration of Wang et al. 2025: K = 3, rho = 0.1, alpha = 0.1, l2, delta_detach. */
    public static final AdversarialSettings AT = new AdversarialSettings(3, 0.1, 0.1, AdversarialSettings.Norm.L2,
            AdversarialSettings.Target.DELTA_DETACH);
    /** cm.*: Song et al. 2023's N = 18, rho = 7, mu = 0.95, sigma_data = 0.5; iCT's s0 = 10, s1 = 1280. */
    public static final ConsistencySettings CM = new ConsistencySettings("", TeacherSolver.DDIM, 18, 10, 1280, 7.0,
            ConsistencyMetric.PSEUDO_HUBER, 0.95, 0.5, new int[0]);

    private ReferenceSettings() {}
}
