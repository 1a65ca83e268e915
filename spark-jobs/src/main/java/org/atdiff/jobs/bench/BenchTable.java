package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One section of the benchmark: named columns and rows of values, printed aligned and written as JSON objects. */
final class BenchTable {
    private final String title;
    private final List<String> columns;
    private final List<Map<String, Object>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    BenchTable(String title, String... columns) {
        this.title = title;
        this.columns = List.of(columns);
    }

    String title() {
        return title;
    }

    /** Adds a row; values in column order (null = not measured). */
    void add(Object... values) {
        if (values.length != columns.size()) throw new IllegalArgumentException(title + ": " + values.length + " values for " + columns);
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) row.put(columns.get(i), values[i]);
        rows.add(row);
    }

    /** A line printed under the table and kept in the JSON (e.g. why a column is empty). */
    void note(String note) {
        notes.add(note);
    }

    boolean isEmpty() {
        return rows.isEmpty() && notes.isEmpty();
    }

    void print(PrintStream out) {
        List<String[]> cells = new ArrayList<>();
        cells.add(columns.toArray(String[]::new));
        for (Map<String, Object> r : rows) cells.add(columns.stream().map(c -> format(r.get(c))).toArray(String[]::new));
        int[] width = new int[columns.size()];
        for (String[] line : cells) for (int i = 0; i < line.length; i++) width[i] = Math.max(width[i], line[i].length());
        out.println();
        out.println("== " + title);
        for (int l = 0; l < cells.size(); l++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < width.length; i++) {
                String cell = cells.get(l)[i];
                sb.append(i == 0 ? String.format("%-" + width[i] + "s", cell) : String.format("  %" + width[i] + "s", cell));
            }
            out.println(sb.toString().stripTrailing());
        }
        for (String n : notes) out.println("  note: " + n);
        out.flush();
    }

    ObjectNode toJson(ObjectMapper json) {
        ObjectNode node = json.createObjectNode();
        ArrayNode rowsNode = node.putArray("rows");
        for (Map<String, Object> r : rows) rowsNode.add(json.valueToTree(r));
        ArrayNode notesNode = node.putArray("notes");
        notes.forEach(notesNode::add);
        return node;
    }

    static String format(Object v) {
        if (v == null) return "-";
        if (v instanceof Double d) {
            double a = Math.abs(d);
            if (a == 0) return "0";
            if (a >= 1000) return String.format("%,.0f", d);
            if (a >= 100) return String.format("%.1f", d);
            if (a >= 1) return String.format("%.2f", d);
            if (a >= 0.001) return String.format("%.4f", d);
            return String.format("%.3g", d);
        }
        if (v instanceof Long || v instanceof Integer) return String.format("%,d", ((Number) v).longValue());
        return v.toString();
    }
}
