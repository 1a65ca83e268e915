package org.atdiff.jobs.report;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.jobs.plot.LinePlot;

/**
 * A self-contained {@code report.html} for a run: the loss curve, sample grids per sampler and NFE, the score
 * table and the configuration. Images are embedded as data URIs so the file can be opened from anywhere
 * (a notebook, a browser on HDFS-downloaded output) without companion files.
 */
public final class RunReport {
    static final String ACCURACY_MEANING = "classifier accuracy: the model drew each sample for a class (sample i for "
            + "class i mod classes); this is how often the dataset's classifier names that class, against 1/classes "
            + "for images it cannot tell apart.";
    /**
     * One row of the score table; {@code accuracy} is the classifier's accuracy on a class-conditional model's
     * samples (NaN where there is none).
     */
    public record Score(String sampler, int nfe, boolean es, long count, String features, String metric, double value,
                        double accuracy) {}

    private final String title;
    private final List<double[]> loss = new ArrayList<>();
    private final List<Score> scores = new ArrayList<>();
    private final Map<String, byte[]> grids = new LinkedHashMap<>();
    private final Map<String, String> facts = new LinkedHashMap<>();
    private String config = "";

    public RunReport(String title) {
        this.title = title;
    }

    public RunReport lossPoint(long step, double value) {
        loss.add(new double[] {step, value});
        return this;
    }

    public RunReport score(Score s) {
        scores.add(s);
        return this;
    }

    /** A sample grid PNG under a caption such as "ddim, NFE 10". */
    public RunReport grid(String caption, byte[] png) {
        grids.put(caption, png);
        return this;
    }

    /** A line of the summary (e.g. "training time" -> "3 min"). */
    public RunReport fact(String name, String value) {
        facts.put(name, value);
        return this;
    }

    public RunReport config(String rendered) {
        this.config = rendered;
        return this;
    }

    public String html() {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f3f3f3}")
                .append("figure{display:inline-block;margin:8px}pre{background:#f7f7f7;padding:1em;overflow:auto}</style>")
                .append("</head><body>\n<h1>").append(esc(title)).append("</h1>\n");
        if (!facts.isEmpty()) {
            h.append("<table>");
            facts.forEach((k, v) -> h.append("<tr><th style=\"text-align:left\">").append(esc(k)).append("</th><td>")
                    .append(esc(v)).append("</td></tr>"));
            h.append("</table>\n");
        }
        h.append("<h2>Training loss</h2>\n");
        LinePlot lp = new LinePlot("training loss", "step", "loss", false);
        for (double[] p : loss) lp.add("loss", p[0], p[1]);
        img(h, lp.png(800, 360), "training loss");
        h.append("<h2>Scores</h2>\n");
        if (scores.isEmpty()) {
            h.append("<p>No scores.</p>\n");
        } else {
            boolean accuracy = scores.stream().anyMatch(s -> !Double.isNaN(s.accuracy()));
            h.append("<p>").append(esc(metricMeaning(scores))).append(accuracy ? " " + ACCURACY_MEANING : "")
                    .append("</p>\n");
            h.append("<table><tr><th>sampler</th><th>NFE</th><th>ES</th><th>samples</th><th>features</th><th>metric</th>"
                    + "<th>value</th>").append(accuracy ? "<th>classifier accuracy</th>" : "").append("</tr>\n");
            for (Score s : sorted(scores)) {
                h.append("<tr><td>").append(esc(s.sampler())).append("</td><td>").append(s.nfe()).append("</td><td>")
                        .append(s.es() ? "yes" : "no").append("</td><td>").append(s.count()).append("</td><td>")
                        .append(esc(s.features())).append("</td><td>").append(esc(s.metric())).append("</td><td>")
                        .append(String.format("%.4f", s.value())).append("</td>");
                if (accuracy) {
                    h.append("<td>").append(Double.isNaN(s.accuracy()) ? "" : String.format("%.1f%%", 100 * s.accuracy()))
                            .append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
            LinePlot sp = new LinePlot("score vs NFE", "NFE", scores.get(0).metric(), true);
            for (Score s : scores) sp.add(s.sampler() + (s.es() ? "+ES" : ""), s.nfe(), s.value());
            img(h, sp.png(800, 360), "score vs NFE");
        }
        h.append("<h2>Samples</h2>\n");
        grids.forEach((caption, png) -> {
            h.append("<figure>");
            img(h, png, caption);
            h.append("<figcaption>").append(esc(caption)).append("</figcaption></figure>\n");
        });
        h.append("<h2>Configuration</h2>\n<pre>").append(esc(config)).append("</pre>\n</body></html>\n");
        return h.toString();
    }

    /** The scores by sampler (in order of first appearance), then without before with ES, then by NFE as a number. */
    static List<Score> sorted(List<Score> scores) {
        List<String> samplers = scores.stream().map(Score::sampler).distinct().toList();
        return scores.stream().sorted(Comparator.<Score>comparingInt(s -> samplers.indexOf(s.sampler()))
                .thenComparing(Score::es).thenComparingInt(Score::nfe)).toList();
    }

    /** What the report's score is, in words: FID, or a Frechet distance on the small classifier's features. */
    static String metricMeaning(List<Score> scores) {
        List<String> metrics = scores.stream().map(Score::metric).distinct().toList();
        StringBuilder sb = new StringBuilder();
        for (String m : metrics) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(m.equals("fid")
                    ? "fid is the Frechet Inception Distance: the Frechet distance between Inception-v3 feature "
                    + "statistics (pytorch-fid's network) of the samples and of the reference images; lower is better, "
                    + "and it is comparable with published FID at the same sample count and reference set."
                    : m + " is the Frechet distance between the statistics of features of a small classifier trained "
                    + "on this dataset, for the samples and the reference images; lower is better, but it is NOT FID and "
                    + "is not comparable with published FID numbers (set fid.features=inception with "
                    + "fid.inception-weights for FID).");
        }
        return sb.toString();
    }

    private static void img(StringBuilder h, byte[] png, String alt) {
        h.append("<img alt=\"").append(esc(alt)).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png)).append("\">\n");
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
