package org.atdiff.jobs.robust;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One cell of {@code eps-mse}: the mean error of a timestep bin [tLow, tHigh) under one attack and radius. */
public record PerturbedErrorCell(int tLow, int tHigh, String attack, double radius, double mse, double standardError,
                                 long count) {
    /** The cell as a row of eps-mse.json. */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("t_bin", tLow + "-" + tHigh);
        m.put("t_low", tLow);
        m.put("t_high", tHigh);
        m.put("attack", attack);
        m.put("radius", radius);
        m.put("mse", mse);
        m.put("standard_error", standardError);
        m.put("count", count);
        return m;
    }

    /** A text table: one line per t-bin, one column per attack and radius ("mean +- standard error"). */
    static String table(List<PerturbedErrorCell> cells) {
        List<String> columns = new ArrayList<>();
        Map<String, Map<String, PerturbedErrorCell>> byBin = new LinkedHashMap<>();
        for (PerturbedErrorCell c : cells) {
            String col = c.attack() + " " + c.radius();
            if (!columns.contains(col)) columns.add(col);
            byBin.computeIfAbsent(c.tLow() + "-" + c.tHigh(), k -> new LinkedHashMap<>()).put(col, c);
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s", "t"));
        for (String c : columns) sb.append(String.format(Locale.ROOT, "  %-20s", c));
        sb.append('\n');
        byBin.forEach((bin, row) -> {
            sb.append(String.format(Locale.ROOT, "%-10s", bin));
            for (String c : columns) {
                PerturbedErrorCell cell = row.get(c);
                sb.append(String.format(Locale.ROOT, "  %-20s",
                        String.format(Locale.ROOT, "%.5f +- %.5f", cell.mse(), cell.standardError())));
            }
            sb.append('\n');
        });
        return sb.toString();
    }
}
