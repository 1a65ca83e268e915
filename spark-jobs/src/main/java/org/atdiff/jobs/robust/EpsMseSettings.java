package org.atdiff.jobs.robust;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.sample.EvaluationSettings;
import org.atdiff.objective.PerturbedDenoisingError.Attack;

/**
 * The {@code eps-mse.*} keys (with {@code run.dir}, {@code data.path}, {@code engine.threads}, {@code output.*}) as
 * typed, checked settings; every bad value is an error naming its key.
 *
 * @param evaluation   the keys every checkpoint evaluation has
 * @param timestepBins edges e_0 < e_1 < ... of the timestep bins [e_j, e_{j+1}); every image is evaluated once per bin
 * @param radii        l2 norms of the perturbation per sample
 */
public record EpsMseSettings(EvaluationSettings evaluation, int[] timestepBins, double[] radii, List<Attack> attacks)
        implements Serializable {
    public EpsMseSettings {
        if (timestepBins.length < 2 || timestepBins[0] < 0) {
            throw new IllegalArgumentException("eps-mse.t-bins needs at least two edges, the first >= 0: "
                    + Arrays.toString(timestepBins));
        }
        for (int j = 1; j < timestepBins.length; j++) {
            if (timestepBins[j] <= timestepBins[j - 1]) {
                throw new IllegalArgumentException("eps-mse.t-bins must increase: " + Arrays.toString(timestepBins));
            }
        }
        if (radii.length == 0) throw new IllegalArgumentException("eps-mse.radii is empty");
        for (double r : radii) {
            if (!(r >= 0) || !Double.isFinite(r)) throw new IllegalArgumentException("eps-mse.radii: " + r + " is not a finite norm >= 0");
        }
        if (attacks.isEmpty()) throw new IllegalArgumentException("eps-mse.attacks is empty");
    }

    public static EpsMseSettings fromConfig(Config c) {
        return read(new SettingsReader(c));
    }

    /** As {@link #fromConfig}, recording the paths read in {@code r}. */
    public static EpsMseSettings read(SettingsReader r) {
        return new EpsMseSettings(EvaluationSettings.read(r, "eps-mse"), r.intArray("eps-mse.t-bins"),
                r.doubleArray("eps-mse.radii"),
                r.namedList("eps-mse.attacks", a -> Attack.named("eps-mse.attacks", a)).stream().distinct().toList());
    }

    /** The number of timestep bins. */
    public int bins() {
        return timestepBins.length - 1;
    }

    /** The cell of (bin, attack, radius) in the job's {@link org.atdiff.stats.RunningMeans}. */
    public int cell(int bin, int attack, int radius) {
        return (bin * attacks.size() + attack) * radii.length + radius;
    }

    /** The cells: bins x attacks x radii. */
    public int cells() {
        return bins() * attacks.size() * radii.length;
    }
}
