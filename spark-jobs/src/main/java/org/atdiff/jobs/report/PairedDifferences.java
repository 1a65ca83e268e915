package org.atdiff.jobs.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.plot.LinePlot;
import org.atdiff.jobs.report.ScoreComparison.Cell;
import org.atdiff.jobs.report.ScoreComparison.SetKey;

/**
 * Paired differences of scores between trainings (issue 17's headline statistic): for every sample set of a
 * treatment group (e.g. at), the difference treatment - control on the same sampling seed, paired also on the training
 * seed (the k of {@code train<k>}: the same minibatches, t and eps draws), averaged over the training seeds both have,
 * and that difference per training seed (its range is the training noise of the difference itself); beside it the
 * spread between the training seeds of each (the range of their means over the sampling seeds they share); and
 * treatment - baseline and control - baseline on each sampling seed (the baseline averaged over its own training
 * seeds).
 */
public final class PairedDifferences {
    /**
     * One sample set of one treatment.
     *
     * @param treatmentMinusControl   per sampling seed, the mean over training seeds of treatment - control
     * @param byTrainingSeed          per training seed, treatment - control averaged over those sampling seeds: runs of
     *                                one training seed share minibatches, t and eps, so the range of these is the
     *                                training noise of the paired difference itself
     */
    public record Row(String treatment, SetKey set, Map<Integer, Double> treatmentMinusControl,
                      Map<Integer, Double> byTrainingSeed, double treatmentSpread, double controlSpread,
                      Map<Integer, Double> treatmentMinusBaseline, Map<Integer, Double> controlMinusBaseline) {
        /** The mean of treatment - control over sampling seeds. */
        public double meanDifference() {
            return treatmentMinusControl.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }

    private PairedDifferences() {}

    /**
     * The rows of every treatment's sets that the control also has; the baseline columns are empty where the baseline
     * lacks the set or {@code baseline} is "".
     */
    public static List<Row> of(List<Cell> cells, List<String> treatments, String control, String baseline) {
        if (control.isBlank()) throw new IllegalArgumentException("compare.paired.control is empty: name the control group");
        Map<SetKey, Cell> byKey = new LinkedHashMap<>();
        for (Cell c : cells) byKey.put(c.key(), c);
        List<Row> rows = new ArrayList<>();
        for (String treatment : treatments) {
            if (cells.stream().noneMatch(c -> c.key().group().equals(treatment))) {
                throw new IllegalArgumentException("compare.paired.treatments: no scores of group '" + treatment + "'");
            }
            Map<SetKey, Map<Integer, Cell>> sets = new LinkedHashMap<>(); // set with training seed 0 -> seeds
            for (Cell c : cells) {
                if (!c.key().group().equals(treatment)) continue;
                sets.computeIfAbsent(c.key().of(treatment, 0), k -> new TreeMap<>()).put(c.key().trainingSeed(), c);
            }
            sets.forEach((set, byTrainingSeed) -> {
                Map<Integer, Cell> controls = new TreeMap<>();
                byTrainingSeed.keySet().forEach(k -> {
                    Cell c = byKey.get(set.of(control, k));
                    if (c != null) controls.put(k, c);
                });
                if (controls.isEmpty()) return;
                Map<Integer, Map<Integer, Double>> pairs = new TreeMap<>();
                controls.forEach((k, c) -> pairs.put(k, minus(byTrainingSeed.get(k).bySeed(), c.bySeed())));
                Map<Integer, Double> diff = meanOverTrainingSeeds(List.copyOf(pairs.values()));
                if (diff.isEmpty()) return;
                Map<Integer, Double> perTrainingSeed = new TreeMap<>();
                pairs.forEach((k, d) -> perTrainingSeed.put(k,
                        diff.keySet().stream().mapToDouble(d::get).average().orElseThrow()));
                Map<Integer, Double> base = baseline.isBlank() ? Map.of() : meanOverTrainingSeeds(cells.stream()
                        .filter(c -> c.key().group().equals(baseline) && c.key().of(baseline, 0).equals(set.of(baseline, 0)))
                        .map(Cell::bySeed).toList());
                rows.add(new Row(treatment, set, diff, perTrainingSeed, spread(byTrainingSeed.values()),
                        spread(controlsOfAllSeeds(byKey, set, control)),
                        minus(meanOverTrainingSeeds(byTrainingSeed.values().stream().map(Cell::bySeed).toList()), base),
                        minus(meanOverTrainingSeeds(controls.values().stream().map(Cell::bySeed).toList()), base)));
            });
        }
        return rows;
    }

    /** The control's cells of {@code set} on every training seed it has. */
    private static List<Cell> controlsOfAllSeeds(Map<SetKey, Cell> byKey, SetKey set, String control) {
        return byKey.values().stream().filter(c -> c.key().group().equals(control) && c.key().of(control, 0).equals(set.of(control, 0)))
                .toList();
    }

    /** a[s] - b[s] on the sampling seeds both have. */
    private static Map<Integer, Double> minus(Map<Integer, Double> a, Map<Integer, Double> b) {
        Map<Integer, Double> out = new TreeMap<>();
        a.forEach((s, v) -> {
            if (b.containsKey(s)) out.put(s, v - b.get(s));
        });
        return out;
    }

    /** The mean over the maps of each sampling seed that every map has. */
    private static Map<Integer, Double> meanOverTrainingSeeds(List<Map<Integer, Double>> maps) {
        Map<Integer, Double> out = new TreeMap<>();
        for (int s : commonSeeds(maps)) out.put(s, maps.stream().mapToDouble(m -> m.get(s)).average().orElseThrow());
        return out;
    }

    /** The sampling seeds every map has (none for no maps). */
    private static TreeSet<Integer> commonSeeds(List<Map<Integer, Double>> maps) {
        TreeSet<Integer> seeds = new TreeSet<>(maps.isEmpty() ? List.of() : maps.get(0).keySet());
        for (Map<Integer, Double> m : maps) seeds.retainAll(m.keySet());
        return seeds;
    }

    /**
     * max - min over the cells of their means over the sampling seeds every cell has (a sampling phase cut short
     * leaves one training seed with more sampling seeds than another); NaN for fewer than two training seeds or no
     * common sampling seed.
     */
    private static double spread(Collection<Cell> cells) {
        if (cells.size() < 2) return Double.NaN;
        TreeSet<Integer> seeds = commonSeeds(cells.stream().map(Cell::bySeed).toList());
        if (seeds.isEmpty()) return Double.NaN;
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (Cell c : cells) {
            double mean = seeds.stream().mapToDouble(s -> c.bySeed().get(s)).average().orElseThrow();
            lo = Math.min(lo, mean);
            hi = Math.max(hi, mean);
        }
        return hi - lo;
    }

    /** paired.json's rows (NaN spreads as null). */
    public static List<Map<String, Object>> json(List<Row> rows, String control, String baseline) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("treatment", r.treatment());
            m.put("control", control);
            m.put("sampler", r.set().sampler().replaceFirst("-(leading|linspace)$", ""));
            m.put("nfe", r.set().nfe());
            m.put("spacing", r.set().spacing());
            if (r.set().es()) m.put("es", true);
            if (!r.set().perturbation().equals("none")) {
                m.put("perturbation", r.set().perturbation());
                m.put("perturbation_radius", r.set().radius());
            }
            m.put("at_minus_control", List.copyOf(r.treatmentMinusControl().values()));
            m.put("at_minus_control_mean", r.meanDifference());
            Map<String, Double> byTrainingSeed = new LinkedHashMap<>();
            r.byTrainingSeed().forEach((k, v) -> byTrainingSeed.put(String.valueOf(k), v));
            m.put("at_minus_control_by_training_seed", byTrainingSeed);
            Map<String, Object> spread = new LinkedHashMap<>();
            spread.put(r.treatment(), Double.isNaN(r.treatmentSpread()) ? null : r.treatmentSpread());
            spread.put(control, Double.isNaN(r.controlSpread()) ? null : r.controlSpread());
            m.put("training_seed_spread", spread);
            m.put("sampling_seeds", List.copyOf(r.treatmentMinusControl().keySet()));
            if (!baseline.isBlank()) {
                m.put("baseline", baseline);
                m.put("at_minus_plain", List.copyOf(r.treatmentMinusBaseline().values()));
                m.put("control_minus_plain", List.copyOf(r.controlMinusBaseline().values()));
            }
            out.add(m);
        }
        return out;
    }

    /** A set's sampler as the tables and plots name it: with its spacing where not the default, "+ ES" where used. */
    private static String samplerLabel(SetKey set) {
        return set.sampler() + (set.es() ? " + ES" : "");
    }

    /** The larger of a row's two training-seed spreads where either is known, NaN where neither is. */
    static double largerSpread(Row r) {
        double a = r.treatmentSpread(), b = r.controlSpread();
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
    }

    /**
     * Writes paired.json ({"rows": [...]}), paired.md and, per treatment with unperturbed sets,
     * paired-&lt;treatment&gt;.png ({@link #plot}) under {@code out}.
     */
    public static void write(List<Row> rows, String control, String baseline, Path out, Configuration hadoop)
            throws IOException {
        ReportFolder folder = new ReportFolder(out, hadoop);
        folder.write("paired.json", new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(Map.of("rows", json(rows, control, baseline))));
        folder.write("paired.md", markdown(rows, control, baseline));
        for (String treatment : rows.stream().map(Row::treatment).distinct().toList()) {
            LinePlot plot = plot(rows, treatment, control);
            if (plot != null) folder.write("paired-" + treatment + ".png", plot.png(720, 420));
        }
    }

    /**
     * treatment - control against NFE, one line per sampler over the unperturbed sets, each point the mean over
     * sampling seeds with a bar of ± the larger of the two training-seed spreads (the one known where a group was
     * trained once; none where both were), and a dashed line at 0: a bar that crosses it is a difference within
     * training noise. The samplers' points are set a few percent apart along the (log) NFE axis so their bars do not
     * hide each other. Null without such sets.
     */
    public static LinePlot plot(List<Row> rows, String treatment, String control) {
        List<Row> mine = rows.stream()
                .filter(r -> r.treatment().equals(treatment) && r.set().perturbation().equals("none")).toList();
        if (mine.isEmpty()) return null;
        List<String> samplers = mine.stream().map(r -> samplerLabel(r.set())).distinct().toList();
        LinePlot plot = new LinePlot(treatment + " - " + control + " (bars: ± training-seed spread)", "NFE",
                "score difference", true).reference(0);
        for (Row r : mine) {
            String name = samplerLabel(r.set());
            double shift = Math.pow(1.04, samplers.indexOf(name) - (samplers.size() - 1) / 2.0);
            double mean = r.meanDifference(), spread = largerSpread(r);
            plot.add(name, r.set().nfe() * shift, mean, mean - spread, mean + spread);
        }
        return plot;
    }

    /** A markdown table of the rows. */
    public static String markdown(List<Row> rows, String control, String baseline) {
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Paired differences (treatment - %s on the same "
                + "sampling and training seeds; negative: the treatment scores better), mean ± standard deviation over "
                + "sampling seeds; the same per training seed (mean over sampling seeds: its range is the training noise "
                + "of the difference); and the spread between the training seeds of each group:%n%n", control));
        md.append("| treatment | sampler | NFE | perturbation | treatment - ").append(control)
                .append(" | per training seed | spread of treatment | spread of ").append(control).append(" |");
        if (!baseline.isBlank()) md.append(" treatment - ").append(baseline).append(" | ").append(control).append(" - ")
                .append(baseline).append(" |");
        md.append("\n|---|---|---|---|---|---|---|---|").append(baseline.isBlank() ? "" : "---|---|").append('\n');
        for (Row r : rows) {
            String perturbation = r.set().perturbation().equals("none") ? "" : r.set().perturbation() + " " + r.set().radius();
            String perSeed = r.byTrainingSeed().values().stream()
                    .map(v -> String.format(Locale.ROOT, "%+.2f", v)).collect(Collectors.joining(", "));
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s |", r.treatment(),
                    samplerLabel(r.set()), r.set().nfe(), perturbation,
                    meanStd(r.treatmentMinusControl()), perSeed, number(r.treatmentSpread()), number(r.controlSpread())));
            if (!baseline.isBlank()) {
                md.append(String.format(Locale.ROOT, " %s | %s |", meanStd(r.treatmentMinusBaseline()), meanStd(r.controlMinusBaseline())));
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String meanStd(Map<Integer, Double> bySeed) {
        if (bySeed.isEmpty()) return "";
        double m = bySeed.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        if (bySeed.size() < 2) return String.format(Locale.ROOT, "%+.2f", m);
        double ss = 0;
        for (double v : bySeed.values()) ss += (v - m) * (v - m);
        return String.format(Locale.ROOT, "%+.2f ± %.2f", m, Math.sqrt(ss / (bySeed.size() - 1)));
    }
}
