package org.atdiff.jobs.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.plot.LinePlot;
import org.atdiff.jobs.report.ScoreComparison.Cell;

/**
 * The scores of one training run at several of its checkpoints (e.g. fair-at.sh's plateau search): below
 * {@code compare.progress}, a folder {@code step-<N>} holds the fid.json of the checkpoint of step N (seed folders
 * below it are averaged as in compare.scores). Written as progress.md (a row per step, a column per sample set) and
 * progress.png (each set's score against the step).
 */
public final class TrainingProgress {
    private static final Pattern STEP = Pattern.compile("step-(\\d+)");

    /** The mean score over sampling seeds of one sample set at one training step. */
    public record Point(long step, String set, String metric, double score) {}

    private TrainingProgress() {}

    /** Every set's score at every step below {@code root}, by set then step. */
    public static List<Point> collect(Path root, Configuration hadoop) throws IOException {
        List<Point> points = new ArrayList<>();
        for (Cell c : ScoreComparison.collect("compare.progress", root, hadoop)) {
            Matcher m = STEP.matcher(c.key().group());
            if (!m.matches()) {
                throw new IllegalArgumentException("compare.progress " + root + ": folder '" + c.key().group()
                        + "' is not named step-<N> (N = the training step of the scored checkpoint)");
            }
            points.add(new Point(Long.parseLong(m.group(1)), c.key().setName(), c.metric(), c.mean()));
        }
        points.sort(Comparator.comparing(Point::set).thenComparingLong(Point::step));
        return points;
    }

    /** A markdown table: one row per step, one column per set. */
    public static String markdown(List<Point> points) {
        TreeSet<String> sets = new TreeSet<>();
        TreeMap<Long, TreeMap<String, Double>> rows = new TreeMap<>();
        for (Point p : points) {
            sets.add(p.set());
            rows.computeIfAbsent(p.step(), k -> new TreeMap<>()).put(p.set(), p.score());
        }
        StringBuilder md = new StringBuilder(points.get(0).metric() + " of the checkpoint at each training step (lower is better):\n\n| step |");
        sets.forEach(s -> md.append(' ').append(s).append(" |"));
        md.append("\n|---|").append("---|".repeat(sets.size())).append('\n');
        rows.forEach((step, scores) -> {
            md.append("| ").append(step).append(" |");
            for (String s : sets) {
                Double v = scores.get(s);
                md.append(v == null ? " |" : String.format(Locale.ROOT, " %.2f |", v));
            }
            md.append('\n');
        });
        return md.toString();
    }

    /** Each set's score against the training step. */
    public static LinePlot plot(List<Point> points) {
        LinePlot plot = new LinePlot(points.get(0).metric() + " against training step", "training step",
                points.get(0).metric(), false);
        for (Point p : points) plot.add(p.set(), p.step(), p.score());
        return plot;
    }

    /** Writes progress.md and progress.png under {@code out}; returns the points. */
    public static List<Point> write(Path root, Path out, Configuration hadoop) throws IOException {
        List<Point> points = collect(root, hadoop);
        ReportFolder folder = new ReportFolder(out, hadoop);
        folder.write("progress.md", markdown(points));
        folder.write("progress.png", plot(points).png(720, 420));
        return points;
    }
}
