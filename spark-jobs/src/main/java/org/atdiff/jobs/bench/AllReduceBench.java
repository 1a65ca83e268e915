package org.atdiff.jobs.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Times the gradient all-reduce across {@code world} separate JVMs ({@link AllReduceWorker}) on loopback, started with
 * this JVM's class path and libtorch cache, and returns rank 0's seconds per all-reduce for each size.
 */
final class AllReduceBench {
    private AllReduceBench() {}

    static Map<Long, double[]> run(int world, List<Long> floats, int reps) throws IOException, InterruptedException {
        List<Process> ranks = new ArrayList<>();
        try {
            for (int r = 0; r < world; r++) {
                List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx1g",
                        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED")); // GlooGroup hands the store socket to libtorch
                String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
                if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AllReduceWorker.class.getName(),
                        Integer.toString(r), Integer.toString(world), Integer.toString(reps)));
                floats.forEach(f -> cmd.add(Long.toString(f)));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
                pb.environment().put("OMP_NUM_THREADS", "1");
                ranks.add(pb.start());
            }
            List<BufferedReader> outs = new ArrayList<>();
            List<Writer> ins = new ArrayList<>();
            for (Process p : ranks) {
                outs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
                ins.add(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
            }
            // Relays the ranks' exchanges (as many as joining the group takes) until rank 0 prints its first RESULT.
            String line = next(outs.get(0), 0);
            while (line.startsWith("GATHER")) {
                String[] messages = new String[world];
                for (int r = 0; r < world; r++) {
                    messages[r] = (r == 0 ? line : expect(outs.get(r), "GATHER", r)).substring("GATHER".length()).trim();
                }
                for (Writer w : ins) {
                    w.write(String.join("\t", messages) + "\n");
                    w.flush();
                }
                line = next(outs.get(0), 0);
            }
            Map<Long, double[]> result = new LinkedHashMap<>();
            for (int i = 0; i < floats.size(); i++) {
                if (i > 0) line = expect(outs.get(0), "RESULT", 0);
                String[] parts = line.split(" ");
                double[] s = new double[parts.length - 2];
                for (int j = 0; j < s.length; j++) s[j] = Double.parseDouble(parts[j + 2]);
                result.put(Long.parseLong(parts[1]), s);
                for (int r = 1; r < world; r++) expect(outs.get(r), "RESULT", r);
            }
            for (int r = 0; r < world; r++) {
                if (!ranks.get(r).waitFor(60, TimeUnit.SECONDS) || ranks.get(r).exitValue() != 0) {
                    throw new IOException("all-reduce rank " + r + " did not exit cleanly");
                }
            }
            return result;
        } finally {
            for (Process p : ranks) p.destroyForcibly();
        }
    }

    /** The next line of {@code rank}'s protocol (GATHER or RESULT), skipping what else it prints. */
    private static String next(BufferedReader out, int rank) throws IOException {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("GATHER") || line.startsWith("RESULT")) return line;
        }
        throw new IOException("all-reduce rank " + rank + " exited before printing GATHER or RESULT");
    }

    /** The next protocol line of {@code rank} that starts with {@code tag}. */
    private static String expect(BufferedReader out, String tag, int rank) throws IOException {
        String line = next(out, rank);
        while (!line.startsWith(tag)) line = next(out, rank);
        return line;
    }

    private static String javaBinary() {
        return java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
