package org.atdiff.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.atdiff.jobs.plot.LinePlot;
import org.atdiff.jobs.sample.SampleSet;

/**
 * Scores of several trainings side by side, over sampling seeds: every {@code fid.json} below a folder, grouped by
 * the first folder under it (the group, e.g. the training objective) and by sample set (sampler, named with its
 * spacing where ddpm or ddim ran leading or linspace timesteps, e.g. ddim-leading; NFE, ES, perturbation), reduced
 * to the mean and sample standard deviation over the seeds (a folder named {@code seed<k>} on the way). A folder named
 * {@code train<k>} on the way is the training seed of a group trained more than once: each training seed is its own
 * row label ("at (train 2)"), and {@link PairedDifferences} pairs them. Writes {@code summary.json}, {@code summary.md}
 * (tables) and plots: the score against NFE per sampler, and the training loss of each run.
 */
public final class ScoreComparison {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern SEED = Pattern.compile("seed(\\d+)");
    private static final Pattern TRAINING_SEED = Pattern.compile("train(\\d+)");

    /**
     * One sample set's configuration within a group.
     *
     * @param trainingSeed the k of a {@code train<k>} folder, 0 where there is none
     * @param sampler      the sampler, named with its spacing where that is not the default (ddim-leading)
     * @param spacing      the spacing the set's fid.json records ("" where none)
     */
    public record SetKey(String group, int trainingSeed, String sampler, String spacing, int nfe, boolean es,
                         String perturbation, double radius) {
        /** The row label: the group, its training seed where there are several, "+ ES" where used. */
        String label() {
            return group + (trainingSeed > 0 ? " (train " + trainingSeed + ")" : "") + (es ? " + ES" : "");
        }

        /** The set's folder name as the sample command writes it ({@link SampleSet#folderName}). */
        String setName() {
            String bare = spacing.isEmpty() ? sampler : sampler.replaceFirst("-" + spacing + "$", "");
            return new SampleSet(bare, nfe, es, perturbation, radius, spacing.isEmpty() ? null : spacing).folderName();
        }

        SetKey unperturbed() {
            return new SetKey(group, trainingSeed, sampler, spacing, nfe, es, "none", 0);
        }

        /** The same set of another group and training seed. */
        SetKey of(String otherGroup, int otherTrainingSeed) {
            return new SetKey(otherGroup, otherTrainingSeed, sampler, spacing, nfe, es, perturbation, radius);
        }
    }

    /** The scores of one set configuration, one per seed. */
    public record Cell(SetKey key, String metric, Map<Integer, Double> bySeed, long count) {
        public double mean() {
            return bySeed.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        /** Sample standard deviation over seeds (0 for one seed). */
        public double std() {
            int n = bySeed.size();
            if (n < 2) return 0;
            double m = mean(), ss = 0;
            for (double v : bySeed.values()) ss += (v - m) * (v - m);
            return Math.sqrt(ss / (n - 1));
        }
    }

    private ScoreComparison() {}

    /** Every fid.json result below {@code root} (compare.scores), reduced over seeds, in a stable order. */
    public static List<Cell> collect(Path root, Configuration hadoop) throws IOException {
        return collect("compare.scores", root, hadoop);
    }

    /** {@link #collect(Path, Configuration)} of a folder that errors name as {@code setting}. */
    static List<Cell> collect(String setting, Path root, Configuration hadoop) throws IOException {
        FileSystem fs = root.getFileSystem(hadoop);
        if (!fs.isDirectory(root)) throw new IllegalArgumentException(setting + " " + root + " is not a folder");
        String rootPath = fs.getFileStatus(root).getPath().toUri().getPath();
        Map<SetKey, Map<Integer, Double>> scores = new LinkedHashMap<>();
        Map<SetKey, String> metrics = new LinkedHashMap<>();
        Map<SetKey, Long> counts = new LinkedHashMap<>();
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true);
        int found = 0;
        while (files.hasNext()) {
            Path file = files.next().getPath();
            if (!file.getName().equals("fid.json")) continue;
            found++;
            String rel = file.toUri().getPath().substring(rootPath.length()).replaceFirst("^/", "");
            String[] parts = rel.split("/");
            if (parts.length < 2) {
                throw new IllegalArgumentException(file + ": a fid.json must lie in a group folder below " + setting);
            }
            int seed = 0, trainingSeed = 0;
            for (String p : parts) {
                Matcher m = SEED.matcher(p);
                if (m.matches()) seed = Integer.parseInt(m.group(1));
                Matcher t = TRAINING_SEED.matcher(p);
                if (t.matches()) trainingSeed = Integer.parseInt(t.group(1));
            }
            JsonNode doc;
            try (InputStream in = fs.open(file)) {
                doc = JSON.readTree(in);
            }
            for (JsonNode r : doc.path("results")) {
                String metric = r.has("fid") ? "fid" : r.has("fd_classifier") ? "fd_classifier" : null;
                if (metric == null) throw new IllegalArgumentException(file + ": a result has neither fid nor fd_classifier");
                String sampler = r.path("sampler").asText();
                String spacing = r.hasNonNull("spacing") ? r.get("spacing").asText() : null;
                if (SampleSet.namesSpacing(sampler, spacing)) sampler += "-" + spacing; // ddim-leading apart from ddim
                SetKey key = new SetKey(parts[0], trainingSeed, sampler, spacing == null ? "" : spacing, r.path("nfe").asInt(),
                        r.path("es").asBoolean(), r.path("perturbation").asText("none"),
                        r.path("perturbation_radius").asDouble(0));
                String before = metrics.putIfAbsent(key, metric);
                if (before != null && !before.equals(metric)) {
                    throw new IllegalArgumentException(file + ": mixes " + before + " and " + metric + " for " + key);
                }
                Double previous = scores.computeIfAbsent(key, k -> new TreeMap<>()).put(seed, r.path(metric).asDouble());
                if (previous != null) {
                    throw new IllegalArgumentException(file + ": " + key + " seed " + seed + " is scored twice under "
                            + root);
                }
                counts.put(key, r.path("count").asLong());
            }
        }
        if (found == 0) throw new IllegalArgumentException(setting + " " + root + " holds no fid.json");
        List<Cell> cells = new ArrayList<>();
        scores.forEach((k, v) -> cells.add(new Cell(k, metrics.get(k), v, counts.get(k))));
        cells.sort(Comparator.comparing((Cell c) -> c.key().perturbation()).thenComparing(c -> c.key().sampler())
                .thenComparingInt(c -> c.key().nfe()).thenComparing(c -> c.key().group())
                .thenComparingInt(c -> c.key().trainingSeed()).thenComparing(c -> c.key().es()).thenComparingDouble(c -> c.key().radius()));
        return cells;
    }

    /**
     * Markdown tables: unperturbed scores (rows sampler and NFE, columns the groups), then every perturbation with
     * its change from the unperturbed set of the same sampler and NFE.
     */
    public static String markdown(List<Cell> cells) {
        StringBuilder md = new StringBuilder();
        String metric = cells.get(0).metric();
        List<String> labels = new ArrayList<>();
        Map<String, Cell> byCell = new LinkedHashMap<>();
        List<String> rows = new ArrayList<>();
        for (Cell c : cells) {
            if (!c.key().perturbation().equals("none")) continue;
            if (!labels.contains(c.key().label())) labels.add(c.key().label());
            String row = c.key().sampler() + "|" + c.key().nfe();
            if (!rows.contains(row)) rows.add(row);
            byCell.put(row + "|" + c.key().label(), c);
        }
        labels.sort(Comparator.comparing(ScoreComparison::labelOrder));
        md.append(String.format(Locale.ROOT, "%s, mean ± standard deviation over sampling seeds (lower is better):%n%n",
                metric));
        md.append("| sampler | NFE |");
        for (String l : labels) md.append(' ').append(l).append(" |");
        md.append("\n|---|---|").append("---|".repeat(labels.size())).append('\n');
        for (String row : rows) {
            String[] sr = row.split("\\|");
            md.append("| ").append(sr[0]).append(" | ").append(sr[1]).append(" |");
            double best = Double.MAX_VALUE;
            for (String l : labels) {
                Cell c = byCell.get(row + "|" + l);
                if (c != null) best = Math.min(best, c.mean());
            }
            for (String l : labels) {
                Cell c = byCell.get(row + "|" + l);
                if (c == null) {
                    md.append(" |");
                } else {
                    String v = meanStd(c);
                    md.append(' ').append(c.mean() == best ? "**" + v + "**" : v).append(" |");
                }
            }
            md.append('\n');
        }
        md.append(String.format(Locale.ROOT, "%nSeeds per cell: %s; images per set: %d.%n",
                cells.stream().map(c -> String.valueOf(c.bySeed().size())).distinct().toList(), cells.get(0).count()));
        Map<SetKey, Cell> all = new LinkedHashMap<>();
        for (Cell c : cells) all.put(c.key(), c);
        List<Cell> perturbed = cells.stream().filter(c -> !c.key().perturbation().equals("none")).toList();
        if (!perturbed.isEmpty()) {
            md.append(String.format(Locale.ROOT, "%nWith every intermediate state perturbed: %s, and its change from "
                    + "the same sampler without perturbation (same seeds):%n%n", metric));
            md.append("| group | sampler | NFE | perturbation | radius | ").append(metric)
                    .append(" | unperturbed | change |\n|---|---|---|---|---|---|---|---|\n");
            for (Cell c : perturbed) {
                Cell base = all.get(c.key().unperturbed());
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s |%n",
                        c.key().label(), c.key().sampler(), c.key().nfe(), c.key().perturbation(), c.key().radius(),
                        meanStd(c), base == null ? "" : meanStd(base),
                        base == null ? "" : String.format(Locale.ROOT, "%+.2f", c.mean() - base.mean())));
            }
        }
        return md.toString();
    }

    /** "mean ± std" over seeds, or the single value of one seed. */
    private static String meanStd(Cell c) {
        return c.bySeed().size() < 2 ? String.format(Locale.ROOT, "%.2f", c.mean())
                : String.format(Locale.ROOT, "%.2f ± %.2f", c.mean(), c.std());
    }

    /** Plain first, then the others alphabetically, each with its ES variant after it. */
    private static String labelOrder(String label) {
        return (label.startsWith("plain") ? "0" : "1") + label;
    }

    /** The mean score against NFE of every unperturbed set of {@code sampler}, one line per group (and ES). */
    public static LinePlot scorePlot(List<Cell> cells, String sampler) {
        LinePlot plot = new LinePlot(sampler + ": " + cells.get(0).metric() + " against NFE (mean over seeds)", "NFE",
                cells.get(0).metric(), true);
        for (Cell c : cells) {
            if (c.key().sampler().equals(sampler) && c.key().perturbation().equals("none")) {
                plot.add(c.key().label(), c.key().nfe(), c.mean());
            }
        }
        return plot;
    }

    /** Training loss against step of each run directory's metrics.jsonl, named by the run folder. */
    public static LinePlot lossPlot(List<Path> runs, Configuration hadoop) throws IOException {
        LinePlot plot = new LinePlot("training loss", "step", "loss", false);
        for (Path run : runs) {
            Path metrics = new Path(run, "metrics.jsonl");
            FileSystem fs = metrics.getFileSystem(hadoop);
            if (!fs.isFile(metrics)) throw new IllegalArgumentException("compare.runs: " + metrics + " does not exist");
            try (InputStream in = fs.open(metrics)) {
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (line.isBlank()) continue;
                    JsonNode m = JSON.readTree(line);
                    plot.add(run.getName(), m.path("step").asDouble(), m.path("loss").asDouble());
                }
            }
        }
        return plot;
    }

    /** Writes summary.json, summary.md, one score-&lt;sampler&gt;.png per sampler and, with runs, loss.png. */
    public static List<Cell> write(Path scores, List<Path> runs, Path out, Configuration hadoop) throws IOException {
        List<Cell> cells = collect(scores, hadoop);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Cell c : cells) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("group", c.key().group());
            if (c.key().trainingSeed() > 0) m.put("training_seed", c.key().trainingSeed());
            m.put("sampler", c.key().sampler());
            m.put("nfe", c.key().nfe());
            m.put("es", c.key().es());
            m.put("perturbation", c.key().perturbation());
            m.put("perturbation_radius", c.key().radius());
            m.put("metric", c.metric());
            m.put("mean", c.mean());
            m.put("std", c.std());
            m.put("seeds", c.bySeed());
            m.put("count", c.count());
            rows.add(m);
        }
        ReportFolder folder = new ReportFolder(out, hadoop);
        folder.write("summary.json", JSON.writeValueAsBytes(Map.of("cells", rows)));
        folder.write("summary.md", markdown(cells));
        for (String sampler : cells.stream().map(c -> c.key().sampler()).distinct().toList()) {
            folder.write("score-" + sampler.replace('+', 'p') + ".png", scorePlot(cells, sampler).png(720, 420));
        }
        if (!runs.isEmpty()) folder.write("loss.png", lossPlot(runs, hadoop).png(720, 420));
        return cells;
    }
}
