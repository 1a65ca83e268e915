package org.atdiff.jobs.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleToIntFunction;
import org.atdiff.prep.PngEncoder;

/**
 * A small line chart rendered to PNG with Java2D: named series of (x, y) points, each with an optional vertical bar
 * from low to high, linear or log-x axis, and optional horizontal reference lines (drawn dashed, grey).
 */
public final class LinePlot {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    private final String title, xLabel, yLabel;
    private final boolean logX;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>(); // {x, y, low, high}
    private final List<Double> references = new ArrayList<>();

    public LinePlot(String title, String xLabel, String yLabel, boolean logX) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logX = logX;
    }

    public LinePlot add(String name, double x, double y) {
        return add(name, x, y, y, y);
    }

    /** A point with a vertical bar from {@code low} to {@code high} (none where they are not finite). */
    public LinePlot add(String name, double x, double y, double low, double high) {
        if (Double.isFinite(x) && Double.isFinite(y) && (!logX || x > 0)) {
            boolean bar = Double.isFinite(low) && Double.isFinite(high);
            series.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {x, y, bar ? low : y, bar ? high : y});
        }
        return this;
    }

    /** A horizontal reference line at {@code y} across the plot (e.g. 0 for differences). */
    public LinePlot reference(double y) {
        if (Double.isFinite(y)) references.add(y);
        return this;
    }

    public byte[] png(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int left = 70, right = 160, top = 50, bottom = 50;
        int pw = width - left - right, ph = height - top - bottom;
        double xmin = Double.MAX_VALUE, xmax = -Double.MAX_VALUE, ymin = Double.MAX_VALUE, ymax = -Double.MAX_VALUE;
        for (List<double[]> pts : series.values()) {
            for (double[] p : pts) {
                double x = tx(p[0]);
                xmin = Math.min(xmin, x);
                xmax = Math.max(xmax, x);
                ymin = Math.min(ymin, p[2]);
                ymax = Math.max(ymax, p[3]);
            }
        }
        if (xmin <= xmax) {
            for (double r : references) {
                ymin = Math.min(ymin, r);
                ymax = Math.max(ymax, r);
            }
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawRect(left, top, pw, ph);
        g.drawString(xLabel, left + pw / 2 - 20, height - 12);
        g.drawString(yLabel, 8, top - 8);
        if (xmin > xmax) {
            g.drawString("no data", left + pw / 2 - 20, top + ph / 2);
            return encode(img, g);
        }
        if (xmax == xmin) { xmin -= 1; xmax += 1; }
        if (ymax == ymin) { ymin -= 1; ymax += 1; }
        double[] yt = ticks(ymin, ymax, 5);
        ymin = Math.min(ymin, yt[0]);
        ymax = Math.max(ymax, yt[yt.length - 1]);
        double[] xt = logX ? logTicks(Math.exp(xmin), Math.exp(xmax)) : ticks(xmin, xmax, 5);
        if (!logX) {
            xmin = Math.min(xmin, xt[0]);
            xmax = Math.max(xmax, xt[xt.length - 1]);
        }
        for (double yv : yt) {
            int y = top + ph - (int) Math.round((yv - ymin) / (ymax - ymin) * ph);
            g.setColor(new Color(0xdddddd));
            g.drawLine(left + 1, y, left + pw - 1, y);
            g.setColor(Color.BLACK);
            g.drawString(label(yv, yt), 8, y + 4);
        }
        for (double xv : xt) {
            int x = left + (int) Math.round((tx(xv) - xmin) / (xmax - xmin) * pw);
            g.drawString(label(xv, xt), x - 8, top + ph + 16);
        }
        double y0 = ymin, yspan = ymax - ymin;
        DoubleToIntFunction toY = v -> top + ph - (int) Math.round((v - y0) / yspan * ph);
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        for (double r : references) {
            int y = toY.applyAsInt(r);
            g.drawLine(left + 1, y, left + pw - 1, y);
        }
        int k = 0;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            g.setColor(PALETTE[k % PALETTE.length]);
            g.setStroke(new BasicStroke(2f));
            List<double[]> pts = new ArrayList<>(e.getValue());
            pts.sort((a, b) -> Double.compare(a[0], b[0]));
            int px = -1, py = -1;
            for (double[] p : pts) {
                int x = left + (int) Math.round((tx(p[0]) - xmin) / (xmax - xmin) * pw);
                int y = toY.applyAsInt(p[1]);
                if (px >= 0) g.drawLine(px, py, x, y);
                if (pts.size() < 40) g.fillOval(x - 3, y - 3, 6, 6);
                if (p[3] > p[2]) {
                    int lo = toY.applyAsInt(p[2]), hi = toY.applyAsInt(p[3]);
                    g.drawLine(x, lo, x, hi);
                    g.drawLine(x - 4, lo, x + 4, lo);
                    g.drawLine(x - 4, hi, x + 4, hi);
                }
                px = x;
                py = y;
            }
            g.fillRect(left + pw + 12, top + 8 + 18 * k, 12, 3);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), left + pw + 30, top + 13 + 18 * k);
            k++;
        }
        return encode(img, g);
    }

    /**
     * Round tick values covering [min, max]: a step of 1, 2 or 5 times a power of ten giving about {@code target}
     * ticks, from the multiple of the step at or below min to the one at or above max (Heckbert, "Nice numbers for
     * graph labels", Graphics Gems, 1990).
     */
    static double[] ticks(double min, double max, int target) {
        if (!(max > min)) throw new IllegalArgumentException("tick range must have max > min: " + min + ", " + max);
        double step = nice((max - min) / Math.max(1, target - 1));
        long first = (long) Math.floor(min / step + 1e-9), last = (long) Math.ceil(max / step - 1e-9);
        double[] t = new double[(int) (last - first + 1)];
        for (int i = 0; i < t.length; i++) t[i] = (first + i) * step;
        return t;
    }

    /** The smallest of 1, 2, 5 times a power of ten that is >= {@code x}. */
    private static double nice(double x) {
        double p = Math.pow(10, Math.floor(Math.log10(x)));
        for (double m : new double[] {1, 2, 5}) {
            if (m * p >= x * (1 - 1e-9)) return m * p;
        }
        return 10 * p;
    }

    /** Ticks of a log axis: 1, 2, 5 times powers of ten within [min, max], or linear round ticks if fewer than 2. */
    static double[] logTicks(double min, double max) {
        List<Double> t = new ArrayList<>();
        for (double p = Math.pow(10, Math.floor(Math.log10(min))); p <= max; p *= 10) {
            for (double m : new double[] {1, 2, 5}) {
                double v = Math.rint(m * p * 1e6) / 1e6;
                if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) t.add(v);
            }
        }
        if (t.size() >= 2) return t.stream().mapToDouble(Double::doubleValue).toArray();
        double[] lin = ticks(min, max, 3);
        return java.util.Arrays.stream(lin).filter(v -> v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)).toArray();
    }

    /** A tick value with as many decimals as the ticks' spacing needs (none for whole numbers). */
    static String label(double v, double[] ticks) {
        double step = Double.MAX_VALUE;
        for (int i = 1; i < ticks.length; i++) step = Math.min(step, Math.abs(ticks[i] - ticks[i - 1]));
        int decimals = step == Double.MAX_VALUE || step <= 0 ? 0 : Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        if (Math.abs(v) < 1e-12) v = 0;
        return String.format(java.util.Locale.ROOT, "%." + decimals + "f", v);
    }

    private double tx(double x) {
        return logX ? Math.log(x) : x;
    }

    private static byte[] encode(BufferedImage img, Graphics2D g) {
        g.dispose();
        return PngEncoder.png(img);
    }
}
