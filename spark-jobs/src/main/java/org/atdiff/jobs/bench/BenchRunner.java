package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.tensor.NativeAllocator;
import org.bytedeco.pytorch.global.torch;

/**
 * Runs the sections {@code bench.sections} selects, in {@link #SECTIONS} order, with the PyTorch reference when one of
 * them uses it, and writes every table with the machine's facts (load average, threads, engine line) to
 * {@code output.path}/bench.json.
 */
final class BenchRunner {
    /** Every section, in the order they run (later ones read figures of earlier ones: peaks, the plain step). */
    static final List<BenchSection> SECTIONS = List.of(new MatmulPeakSection(), new EngineSection(), new ConvSection(),
            new PhasesSection(), new TrainSection(), new AllReduceSection(), new SamplingSection(), new FidStatisticsSection(),
            new PlacementSection());
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchRunner() {}

    /** The names {@code bench.sections} accepts. */
    static List<String> names() {
        return SECTIONS.stream().map(BenchSection::name).toList();
    }

    static void run(BenchSettings s, Config config) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.put("started", Instant.now().toString());
        root.put("load_average_start", loadAverage());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("threads", torch.get_num_threads());
        root.put("java", System.getProperty("java.version"));
        // the PyTorch reference process inherits this environment, so both engines allocate alike (EngineSetup has
        // printed the line)
        root.put("allocator", NativeAllocator.describe());
        root.set("settings", JSON.readTree(config.getConfig("bench").root().render(ConfigRenderOptions.concise())));
        System.out.printf("atdiff bench: %d threads, load average %s%n", torch.get_num_threads(), loadAverage());
        List<BenchSection> selected = SECTIONS.stream().filter(section -> s.runs(section.name())).toList();
        StringBuilder whyNot = new StringBuilder();
        PythonReference python = selected.stream().anyMatch(BenchSection::usesPython)
                ? PythonReference.start(s.python(), s.threads(), whyNot).orElse(null) : null;
        if (python == null && whyNot.isEmpty()) whyNot.append("no selected section compares with it");
        root.put("pytorch", python == null ? "skipped: " + whyNot : "torch " + python.hello().get("torch").asText()
                + ", " + python.hello().get("threads").asInt() + " threads");
        System.out.println("PyTorch reference: " + root.get("pytorch").asText());
        BenchContext context = new BenchContext(s, config, python);
        try {
            for (BenchSection section : selected) section.run(context);
        } finally {
            if (python != null) python.close();
        }
        root.set("engine", JSON.valueToTree(ConvolutionEngine.report().asMap()));
        root.put("load_average_end", loadAverage());
        root.put("finished", Instant.now().toString());
        ObjectNode sections = root.putObject("sections");
        for (BenchTable t : context.tables()) sections.set(t.title(), t.toJson(JSON));
        byte[] bytes = JSON.writeValueAsBytes(root);
        new RunDirectory(s.output(), new Configuration()).writeAtomically("bench.json", out -> out.write(bytes));
        System.out.printf("%nload average at the end: %s%nwrote %s/bench.json%n", loadAverage(), s.output());
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
