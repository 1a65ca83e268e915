package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The PyTorch reference ({@code unet_torch.py}, shipped in the jar) running in a Python process that answers one JSON
 * request per line, so that the bench can alternate between atdiff and PyTorch within one invocation.
 */
final class PythonReference implements AutoCloseable {
    static final String SCRIPT = "atdiff-python/unet_torch.py";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final JsonNode hello;

    private PythonReference(Process process, BufferedReader out, Writer in, JsonNode hello) {
        this.process = process;
        this.out = out;
        this.in = in;
        this.hello = hello;
    }

    /**
     * Starts the reference with {@code python} and {@code threads} intra-op threads, or explains why it cannot run
     * (no interpreter, or no torch): then the bench skips the PyTorch column.
     */
    static Optional<PythonReference> start(String python, int threads, StringBuilder whyNot) {
        if (python == null || python.isBlank()) {
            whyNot.append("bench.python is empty");
            return Optional.empty();
        }
        if (!new File(python).canExecute()) {
            whyNot.append(python).append(" is missing");
            return Optional.empty();
        }
        Process p = null;
        try {
            Path script = Files.createTempFile("atdiff-unet-torch", ".py");
            script.toFile().deleteOnExit();
            try (InputStream s = PythonReference.class.getClassLoader().getResourceAsStream(SCRIPT)) {
                if (s == null) throw new IOException("resource " + SCRIPT + " is not on the classpath");
                Files.copy(s, script, StandardCopyOption.REPLACE_EXISTING);
            }
            ProcessBuilder pb = new ProcessBuilder(python, script.toString(), Integer.toString(threads));
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            p = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
            String line = out.readLine();
            if (line == null) {
                whyNot.append(python).append(" could not import torch (exit ").append(p.waitFor()).append(")");
                return Optional.empty();
            }
            return Optional.of(new PythonReference(p, out, in, JSON.readTree(line)));
        } catch (IOException | InterruptedException e) {
            if (p != null) p.destroy();
            whyNot.append(python).append(" failed to start: ").append(e.getMessage());
            return Optional.empty();
        }
    }

    /** The first line the script printed: torch version and threads. */
    JsonNode hello() {
        return hello;
    }

    /** Sends one request and waits for its answer; an answer with "error" becomes an exception. */
    JsonNode request(ObjectNode req) throws IOException {
        in.write(JSON.writeValueAsString(req));
        in.write('\n');
        in.flush();
        String line = out.readLine();
        if (line == null) throw new IOException("the PyTorch reference exited (" + req.get("cmd").asText() + ")");
        JsonNode answer = JSON.readTree(line);
        if (answer.has("error")) throw new IOException("PyTorch reference: " + answer.get("error").asText());
        return answer;
    }

    static ObjectNode command(String cmd) {
        return JSON.createObjectNode().put("cmd", cmd);
    }

    @Override
    public void close() {
        try {
            in.write("{\"cmd\": \"quit\"}\n");
            in.flush();
            process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // already gone
        } finally {
            process.destroy();
        }
    }
}
