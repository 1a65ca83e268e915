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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.atdiff.io.Npz;
import org.atdiff.io.NpyArray;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

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

    /**
     * True when the reference builds {@code config}'s U-Net: the same parameter names, shapes and count, and the same
     * forward output on the same (perturbed) weights and inputs; what it found is noted in {@code t}, a mismatch as the
     * reason its column is skipped for that preset.
     */
    boolean sameArchitecture(UNetConfig config, BenchTable t) throws IOException {
        UNet model = new UNet(config, 7);
        LinkedHashMap<String, Tensor> state = model.stateDict();
        JsonNode d = request(command("describe").put("preset", config.preset()).put("size", config.imageSize())
                .put("channels", config.inChannels()));
        JsonNode shapes = d.get("shapes");
        List<String> problems = new ArrayList<>();
        for (Iterator<String> it = shapes.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!state.containsKey(name)) problems.add("PyTorch has " + name);
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            JsonNode shape = shapes.get(e.getKey());
            if (shape == null) problems.add("PyTorch lacks " + e.getKey());
            else if (!Arrays.equals(HostTensors.shape(e.getValue()), longs(shape))) problems.add("shape of " + e.getKey());
        }
        if (d.get("parameters").asLong() != model.parameterCount()) {
            problems.add("parameter count " + d.get("parameters").asLong() + " vs " + model.parameterCount());
        }
        if (!problems.isEmpty()) {
            t.note("PyTorch reference skipped, its U-Net differs: " + String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
            return false;
        }
        Path npz = Files.createTempFile("atdiff-bench-check", ".npz");
        try (PointerScope scope = new PointerScope()) {
            RandomStream rng = new RandomStream(11);
            Map<String, NpyArray> arrays = new LinkedHashMap<>();
            try (NoGradScope g = new NoGradScope()) {
                for (Map.Entry<String, Tensor> e : state.entrySet()) { // move zero-initialised layers off zero
                    e.getValue().add_(rng.normal(HostTensors.shape(e.getValue())).mul(new Scalar(0.02)));
                    arrays.put("w." + e.getKey(), NpyArray.float32(HostTensors.toFloats(e.getValue()), HostTensors.shape(e.getValue())));
                }
            }
            long s = config.imageSize();
            Tensor x = rng.normal(new long[] {2, config.inChannels(), s, s});
            Tensor tt = HostTensors.fromFloats(new float[] {17f, 802f}, 2);
            arrays.put("x", NpyArray.float32(HostTensors.toFloats(x), HostTensors.shape(x)));
            arrays.put("t", NpyArray.float32(new float[] {17f, 802f}, 2));
            Npz.write(npz, arrays);
            model.train(false);
            float[] ours;
            try (NoGradScope g = new NoGradScope()) {
                ours = HostTensors.toFloats(model.predictNoise(x, tt, null));
            }
            double[] theirs = BenchContext.doubles(request(command("check").put("preset", config.preset())
                    .put("size", config.imageSize()).put("channels", config.inChannels()).put("npz", npz.toString()))
                    .get("eps")).stream().mapToDouble(Double::doubleValue).toArray();
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < ours.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
                maxAbs = Math.max(maxAbs, Math.abs(theirs[i]));
            }
            t.note(String.format("PyTorch reference: same %d parameter names and shapes; forward on the same weights "
                    + "differs by at most %.2g (outputs up to %.2g)", state.size(), maxDiff, maxAbs));
            if (ours.length != theirs.length || maxDiff > 1e-3 * Math.max(1, maxAbs)) {
                t.note("PyTorch reference skipped: its forward does not match atdiff's");
                return false;
            }
            return true;
        } finally {
            Files.deleteIfExists(npz);
        }
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asLong();
        return out;
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
