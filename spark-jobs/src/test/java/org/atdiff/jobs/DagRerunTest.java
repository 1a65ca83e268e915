package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Airflow DAG's command lines (as deploy/check-pipelines.sh --dag-commands renders them, made tiny) run twice in a
 * row through the command line's entry point: the second run succeeds, every step reports its output reused, and
 * no file is rewritten. Then one setting changed without output.overwrite is refused naming it.
 */
class DagRerunTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Map<String, List<String>> TINY = Map.of(
            "prep", List.of("input.builtin-count=40", "image.size=8"),
            "train", List.of("model.preset=tiny", "diffusion.timesteps=100", "train.workers=1", "train.batch-size=4",
                    "train.log-every=1", "engine.threads=1"),
            "sample", List.of("sample.batch-size=8", "engine.threads=1"),
            "stats", List.of("fid.classifier-epochs=1", "fid.classifier-width=8", "fid.batch-size=16"),
            "fid", List.of("fid.classifier-epochs=1", "fid.classifier-width=8", "fid.batch-size=16"));

    @TempDir
    static File dir;

    static List<String[]> dagCommands() throws Exception {
        Process p = new ProcessBuilder("bash", ROOT.resolve("deploy/check-pipelines.sh").toString(), "--dag-commands",
                dir.toString(), "raw=builtin:shapes", "objective=plain", "steps=2", "nfe=[2]", "count=8")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<String[]> commands = new ArrayList<>();
        for (String line : out.strip().split("\n")) {
            List<String> args = new ArrayList<>(List.of(new ObjectMapper().readValue(line, String[].class)));
            assertEquals(List.of("--conf", "yarn.conf"), args.subList(1, 3), line);
            args.subList(1, 3).clear(); // the YARN profile: this test runs on an embedded local Spark instead
            args.addAll(TINY.get(args.get(0)));
            args.addAll(List.of("--master", "local[2]"));
            commands.add(args.toArray(String[]::new));
        }
        assertEquals(List.of("prep", "stats", "train", "sample", "fid"), commands.stream().map(c -> c[0]).toList());
        return commands;
    }

    @Test
    void theDagRunsTwiceAndTheSecondRunReusesEveryStep() throws Exception {
        System.setProperty("spark.ui.enabled", "false");
        torch.set_num_threads(1);
        List<String[]> commands = dagCommands();
        for (String[] c : commands) assertFalse(Atdiff.run(c).reused(), c[0] + " computed its output the first time");
        Map<Path, Long> written = modificationTimes();
        assertTrue(written.keySet().stream().anyMatch(p -> p.endsWith("fid.json")), written.keySet().toString());
        for (String[] c : commands) assertTrue(Atdiff.run(c).reused(), c[0] + " reused its output the second time");
        assertEquals(written, modificationTimes(), "the second run rewrote nothing");

        String[] moreSamples = commands.get(3).clone();
        for (int i = 0; i < moreSamples.length; i++) {
            if (moreSamples[i].equals("sample.count=8")) moreSamples[i] = "sample.count=9";
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Atdiff.run(moreSamples));
        assertTrue(e.getMessage().contains("sample.count: 8 -> 9") && e.getMessage().contains("output.overwrite=true"),
                e.getMessage());
        String[] overwrite = java.util.Arrays.copyOf(moreSamples, moreSamples.length + 1);
        overwrite[moreSamples.length] = "output.overwrite=true";
        assertFalse(Atdiff.run(overwrite).reused(), "output.overwrite=true recomputes");
        assertTrue(Atdiff.run(moreSamples).reused(), "and records the new settings");
    }

    private static Map<Path, Long> modificationTimes() throws Exception {
        Map<Path, Long> times = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(dir.toPath())) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                if (!f.getFileName().toString().equals("lease.json") && !f.toString().contains(".crc")) {
                    times.put(f, Files.getLastModifiedTime(f).toMillis());
                }
            }
        }
        return times;
    }
}
