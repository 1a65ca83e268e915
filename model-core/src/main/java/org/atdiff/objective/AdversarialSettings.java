package org.atdiff.objective;

import static org.atdiff.settings.SettingChecks.atLeast;
import static org.atdiff.settings.SettingChecks.choice;
import static org.atdiff.settings.SettingChecks.configName;
import static org.atdiff.settings.SettingChecks.given;
import java.io.Serializable;

/**
 * Settings of free adversarial training (conf keys {@code at.steps}, {@code at.rho}, {@code at.alpha}, {@code at.norm},
 * {@code at.target}).
 *
 * @param steps  K, replays (and optimizer steps) per minibatch, >= 1
 * @param rho    ascent step size, >= 0: the l2 step has length rho; the linf step moves every coordinate by rho
 * @param alpha  perturbation budget, >= 0, per coordinate: ||delta||_2 <= alpha sqrt(C H W) for l2,
 *               |delta_i| <= alpha for linf (the largest cube inside that l2 ball)
 * @param norm   the geometry of the ascent step and the projection
 * @param target what the network should predict for the perturbed input
 */
public record AdversarialSettings(int steps, double rho, double alpha, Norm norm, Target target) implements Serializable {
    public AdversarialSettings {
        atLeast("at.steps", steps, 1);
        atLeast("at.rho", rho, 0.0);
        atLeast("at.alpha", alpha, 0.0);
        given("at.norm", norm);
        given("at.target", target);
    }

    /** Perturbation geometry. */
    public enum Norm {
        L2, LINF;

        public String label() {
            return configName(this);
        }

        public static Norm named(String name) {
            return choice("at.norm", name, values(), Norm::label);
        }
    }

    /** Regression target for the perturbed input x_t + delta. */
    public enum Target {
        /** eps + sg(delta) / sqrt(1 - abar_t): the noise that, with x0, actually produces x_t + delta. */
        DELTA_DETACH("delta_detach"),
        /**
         * eps + delta / sqrt(1 - abar_t) with the gradient through delta: the same loss, but the ascent direction also
         * counts the target's move (the authors' {@code delta}); with {@code delta_detach} it is the network's alone.
         */
        DELTA("delta"),
        /** eps: the network must undo the perturbation. */
        ORIGINAL("original");

        private final String label;

        Target(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Target named(String name) {
            return choice("at.target", name, values(), Target::label);
        }
    }
}
