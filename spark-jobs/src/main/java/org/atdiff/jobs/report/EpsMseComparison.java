package org.atdiff.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
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

/**
 * The {@code eps-mse.json} files of several models side by side (issue 17's robustness measure without sampling): every
 * file below a folder, its model named by the first folder under it (the group) and a {@code train<k>} folder on the
 * way (the training seed), one row per timestep bin, attack and radius. With a control group, each treatment's paired
 * difference treatment - control (the same images and draws in every file of one eps-mse.seed; paired on the training
 * seed, averaged over the training seeds both have) beside the spread between the training seeds of each.
 */
public final class EpsMseComparison {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern TRAINING_SEED = Pattern.compile("train(\\d+)");

    /** A model: its group and training seed (0 without a train&lt;k&gt; folder). */
    public record Model(String group, int trainingSeed) {
        String label() {
            return group + (trainingSeed > 0 ? " (train " + trainingSeed + ")" : "");
        }
    }

    /** A row of eps-mse.json: its timestep bin, attack and radius. */
    public record Cell(String tBin, String attack, double radius) {
        String label() {
            return String.format(Locale.ROOT, "%s | %s | %s", tBin, attack, radius);
        }
    }

    /** Every model's mean error per cell, in file order of the cells and sorted models. */
    public record Table(List<Cell> cells, Map<Model, Map<Cell, Double>> errors) {}

    private EpsMseComparison() {}

    public static Table collect(Path root, Configuration hadoop) throws IOException {
        FileSystem fs = root.getFileSystem(hadoop);
        if (!fs.isDirectory(root)) throw new IllegalArgumentException("compare.eps-mse " + root + " is not a folder");
        String rootPath = fs.getFileStatus(root).getPath().toUri().getPath();
        List<Cell> cells = new ArrayList<>();
        Map<Model, Map<Cell, Double>> errors = new TreeMap<>((a, b) -> a.label().compareTo(b.label()));
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true);
        while (files.hasNext()) {
            Path file = files.next().getPath();
            if (!file.getName().equals("eps-mse.json")) continue;
            String[] parts = file.toUri().getPath().substring(rootPath.length()).replaceFirst("^/", "").split("/");
            if (parts.length < 2) {
                throw new IllegalArgumentException(file + ": an eps-mse.json must lie in a group folder below compare.eps-mse");
            }
            int trainingSeed = 0;
            for (String p : parts) {
                Matcher m = TRAINING_SEED.matcher(p);
                if (m.matches()) trainingSeed = Integer.parseInt(m.group(1));
            }
            Model model = new Model(parts[0], trainingSeed);
            if (errors.containsKey(model)) throw new IllegalArgumentException(file + ": " + model.label() + " has two eps-mse.json");
            JsonNode doc;
            try (InputStream in = fs.open(file)) {
                doc = JSON.readTree(in);
            }
            Map<Cell, Double> byCell = new LinkedHashMap<>();
            for (JsonNode r : doc.path("rows")) {
                Cell c = new Cell(r.path("t_bin").asText(), r.path("attack").asText(), r.path("radius").asDouble());
                if (!cells.contains(c)) cells.add(c);
                byCell.put(c, r.path("mse").asDouble());
            }
            if (byCell.isEmpty()) throw new IllegalArgumentException(file + ": no rows");
            errors.put(model, byCell);
        }
        if (errors.isEmpty()) throw new IllegalArgumentException("compare.eps-mse " + root + " holds no eps-mse.json");
        return new Table(cells, errors);
    }

    /** treatment - control per cell, paired on the training seed and averaged over the seeds both have; NaN if none. */
    static double pairedDifference(Table t, Cell cell, String treatment, String control) {
        double sum = 0;
        int n = 0;
        for (Map.Entry<Model, Map<Cell, Double>> e : t.errors().entrySet()) {
            if (!e.getKey().group().equals(treatment)) continue;
            Map<Cell, Double> c = t.errors().get(new Model(control, e.getKey().trainingSeed()));
            if (c == null || !c.containsKey(cell) || !e.getValue().containsKey(cell)) continue;
            sum += e.getValue().get(cell) - c.get(cell);
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** The range of a group's errors in a cell over its training seeds (NaN below two seeds). */
    static double spread(Table t, Cell cell, String group) {
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        int n = 0;
        for (Map.Entry<Model, Map<Cell, Double>> e : t.errors().entrySet()) {
            if (!e.getKey().group().equals(group) || !e.getValue().containsKey(cell)) continue;
            lo = Math.min(lo, e.getValue().get(cell));
            hi = Math.max(hi, e.getValue().get(cell));
            n++;
        }
        return n < 2 ? Double.NaN : hi - lo;
    }

    /** Markdown: every model's error per cell, then (with a control) the paired differences. */
    public static String markdown(Table t, List<String> treatments, String control) {
        StringBuilder md = new StringBuilder("Held-out eps-MSE against the perturbed point's noise (lower is better):\n\n");
        md.append("| t | attack | norm of delta |");
        for (Model m : t.errors().keySet()) md.append(' ').append(m.label()).append(" |");
        md.append("\n|---|---|---|").append("---|".repeat(t.errors().size())).append('\n');
        for (Cell c : t.cells()) {
            md.append("| ").append(c.label()).append(" |");
            for (Map<Cell, Double> e : t.errors().values()) md.append(' ').append(number(e.getOrDefault(c, Double.NaN))).append(" |");
            md.append('\n');
        }
        if (!control.isBlank()) {
            md.append(String.format(Locale.ROOT, "%nPaired differences (treatment - %s on the same training seed and "
                    + "draws; negative: the treatment's error is lower), beside the spread between training seeds:%n%n", control));
            md.append("| treatment | t | attack | norm of delta | treatment - ").append(control)
                    .append(" | spread of treatment | spread of ").append(control).append(" |\n|---|---|---|---|---|---|---|\n");
            for (String tr : treatments) {
                for (Cell c : t.cells()) {
                    double d = pairedDifference(t, c, tr, control);
                    if (Double.isNaN(d)) continue;
                    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", tr, c.label(),
                            String.format(Locale.ROOT, "%+.4g", d), number(spread(t, c, tr)), number(spread(t, c, control))));
                }
            }
        }
        return md.toString();
    }

    /** Writes eps-mse.md and eps-mse.json (the table and the paired rows) under {@code out}. */
    public static void write(Table t, List<String> treatments, String control, Path out, Configuration hadoop)
            throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Cell c : t.cells()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("t_bin", c.tBin());
            r.put("attack", c.attack());
            r.put("radius", c.radius());
            Map<String, Object> models = new LinkedHashMap<>();
            t.errors().forEach((m, e) -> models.put(m.label(), e.get(c)));
            r.put("mse", models);
            if (!control.isBlank()) {
                Map<String, Object> paired = new LinkedHashMap<>();
                for (String tr : treatments) {
                    double d = pairedDifference(t, c, tr, control);
                    if (!Double.isNaN(d)) paired.put(tr, d);
                }
                r.put("minus_" + control, paired);
            }
            rows.add(r);
        }
        ReportFolder folder = new ReportFolder(out, hadoop);
        folder.write("eps-mse.json", JSON.writeValueAsBytes(Map.of("rows", rows)));
        folder.write("eps-mse.md", markdown(t, treatments, control));
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4g", v);
    }
}
