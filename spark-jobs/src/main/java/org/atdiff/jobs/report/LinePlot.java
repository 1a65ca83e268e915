package org.atdiff.jobs.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** A small line chart rendered to PNG with Java2D: named series of (x, y) points, linear or log-x axis. */
public final class LinePlot {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    private final String title, xLabel, yLabel;
    private final boolean logX;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();

    public LinePlot(String title, String xLabel, String yLabel, boolean logX) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logX = logX;
    }

    public LinePlot add(String name, double x, double y) {
        if (Double.isFinite(x) && Double.isFinite(y) && (!logX || x > 0)) {
            series.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {x, y});
        }
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
                ymin = Math.min(ymin, p[1]);
                ymax = Math.max(ymax, p[1]);
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
        double pad = 0.05 * (ymax - ymin);
        ymin -= pad;
        ymax += pad;
        for (int i = 0; i <= 4; i++) {
            double yv = ymin + (ymax - ymin) * i / 4;
            int y = top + ph - (int) Math.round(ph * i / 4.0);
            g.setColor(new Color(0xdddddd));
            g.drawLine(left + 1, y, left + pw - 1, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%.3g", yv), 8, y + 4);
            double xv = xmin + (xmax - xmin) * i / 4;
            int x = left + (int) Math.round(pw * i / 4.0);
            g.drawString(String.format("%.3g", logX ? Math.exp(xv) : xv), x - 12, top + ph + 16);
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
                int y = top + ph - (int) Math.round((p[1] - ymin) / (ymax - ymin) * ph);
                if (px >= 0) g.drawLine(px, py, x, y);
                if (pts.size() < 40) g.fillOval(x - 3, y - 3, 6, 6);
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

    private double tx(double x) {
        return logX ? Math.log(x) : x;
    }

    private static byte[] encode(BufferedImage img, Graphics2D g) {
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
