package org.atdiff.io;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.atdiff.random.RandomStream;
import org.bytedeco.pytorch.Tensor;

/**
 * A training checkpoint: model and EMA weights, optimizer state, the step, the state of every named random stream,
 * the resolved configuration as JSON, and the training objective's state ({@code objective}, tensors by their full
 * names, see {@link org.atdiff.objective.TrainingObjective#state()}): the weights of a consistency model's target
 * network (the EMA theta^- of consistency distillation) under {@value #TARGET} and a loss-aware timestep sampler's loss
 * history under {@value #TIMESTEPS}; empty for a stateless objective. Saved as one safetensors file: tensors under the
 * prefixes {@code model.}, {@code ema.}, {@code optim.} and the objective's, and metadata {@code format} = {@value #FORMAT}, {@code step},
 * {@code rng.NAME.seed}, {@code rng.NAME.counter}, {@code config} and {@code model} (the
 * {@link org.atdiff.diffusion.ModelSpec} JSON that rebuilds the network from this file alone). Random streams are snapshotted when the record
 * is built and when it is loaded, so later draws do not change it.
 */
public record Checkpoint(LinkedHashMap<String, Tensor> model, LinkedHashMap<String, Tensor> ema,
        LinkedHashMap<String, Tensor> optimizer, long step, LinkedHashMap<String, RandomStream> rng,
        String configJson, String modelSpecJson, LinkedHashMap<String, Tensor> objective) {
    public static final String FORMAT = "atdiff-checkpoint-v1";
    private static final String MODEL = "model.";
    private static final String EMA = "ema.";
    private static final String OPTIM = "optim.";
    /** Prefix of a consistency model's target network in the objective's state. */
    public static final String TARGET = "target.";
    /** Prefix of a loss-aware timestep sampler's history in the objective's state. */
    public static final String TIMESTEPS = "timesteps.";
    private static final List<String> OBJECTIVE_PREFIXES = List.of(TARGET, TIMESTEPS);
    private static final String RNG = "rng.";

    public Checkpoint {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(ema, "ema");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(configJson, "configJson");
        Objects.requireNonNull(modelSpecJson, "modelSpecJson");
        Objects.requireNonNull(objective, "objective");
        for (String name : objective.keySet()) {
            if (!objectiveState(name)) throw new IllegalArgumentException(unknownPrefix(name));
        }
        if (step < 0) throw new IllegalArgumentException("negative step " + step);
        LinkedHashMap<String, RandomStream> snapshot = new LinkedHashMap<>();
        for (Map.Entry<String, RandomStream> e : rng.entrySet()) {
            if (e.getKey().isEmpty()) throw new IllegalArgumentException("random stream with an empty name");
            snapshot.put(e.getKey(), new RandomStream(e.getValue().seed(), e.getValue().counter()));
        }
        rng = snapshot;
    }

    /** A checkpoint of a stateless objective. */
    public Checkpoint(LinkedHashMap<String, Tensor> model, LinkedHashMap<String, Tensor> ema,
                      LinkedHashMap<String, Tensor> optimizer, long step, LinkedHashMap<String, RandomStream> rng,
                      String configJson, String modelSpecJson) {
        this(model, ema, optimizer, step, rng, configJson, modelSpecJson, new LinkedHashMap<>());
    }

    /** The random stream saved under {@code name}, positioned where it was (a fresh copy on every call). */
    public RandomStream rng(String name) {
        RandomStream r = rng.get(name);
        if (r == null) throw new IllegalArgumentException("checkpoint has no random stream '" + name + "': " + rng.keySet());
        return new RandomStream(r.seed(), r.counter());
    }

    public void save(OutputStream out) throws IOException {
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        model.forEach((k, v) -> tensors.put(MODEL + k, v));
        ema.forEach((k, v) -> tensors.put(EMA + k, v));
        optimizer.forEach((k, v) -> tensors.put(OPTIM + k, v));
        tensors.putAll(objective);
        LinkedHashMap<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("step", Long.toString(step));
        rng.forEach((name, r) -> {
            meta.put(RNG + name + ".seed", Long.toString(r.seed()));
            meta.put(RNG + name + ".counter", Long.toString(r.counter()));
        });
        meta.put("config", configJson);
        meta.put("model", modelSpecJson);
        SafeTensors.write(out, tensors, meta);
    }

    public void save(Path path) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path))) {
            save(out);
        }
    }

    public static Checkpoint load(Path path) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            return load(in, path.toString());
        }
    }

    /** Reads a checkpoint; a safetensors file without {@code format} = {@value #FORMAT} is rejected. */
    public static Checkpoint load(InputStream in, String source) throws IOException {
        SafeTensorsFile file = SafeTensors.read(in, source);
        Metadata meta = Metadata.parse(file.metadata(), source);
        LinkedHashMap<String, Tensor> model = new LinkedHashMap<>();
        LinkedHashMap<String, Tensor> ema = new LinkedHashMap<>();
        LinkedHashMap<String, Tensor> optim = new LinkedHashMap<>();
        LinkedHashMap<String, Tensor> objective = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : file.tensors().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(MODEL)) {
                model.put(k.substring(MODEL.length()), e.getValue());
            } else if (k.startsWith(EMA)) {
                ema.put(k.substring(EMA.length()), e.getValue());
            } else if (k.startsWith(OPTIM)) {
                optim.put(k.substring(OPTIM.length()), e.getValue());
            } else if (objectiveState(k)) {
                objective.put(k, e.getValue());
            } else {
                throw new MalformedFileException(source, unknownPrefix(k));
            }
        }
        try {
            return new Checkpoint(model, ema, optim, meta.step, meta.rng, meta.config, meta.spec, objective);
        } catch (IllegalArgumentException e) {
            throw new MalformedFileException(source, e.getMessage(), e);
        }
    }

    /**
     * A checkpoint's step, random streams, configuration, model spec, the model tensors' signatures and the names of
     * the objective's state tensors, read from its header without loading any tensor (a driver checking a run
     * directory before its workers load it).
     */
    public record Header(long step, LinkedHashMap<String, RandomStream> rng, String configJson, String modelSpecJson,
                         LinkedHashMap<String, String> modelSignature, Set<String> objectiveState) {
        /** As {@link Checkpoint#requireSameShapes}. */
        public void requireSameShapes(Map<String, Tensor> modelState) {
            Checkpoint.requireSameShapes(modelSignature, modelState);
        }
    }

    /** Reads a checkpoint's {@link Header} only; the same checks of format and metadata as {@link #load}. */
    public static Header readHeader(InputStream in, String source) throws IOException {
        SafeTensorsHeader header = SafeTensors.readHeader(in, source);
        Metadata meta = Metadata.parse(header.metadata(), source);
        LinkedHashMap<String, String> model = new LinkedHashMap<>();
        Set<String> objective = new LinkedHashSet<>();
        for (Map.Entry<String, String> e : header.signatures().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(MODEL)) model.put(k.substring(MODEL.length()), e.getValue());
            else if (objectiveState(k)) objective.add(k);
            else if (!k.startsWith(EMA) && !k.startsWith(OPTIM)) throw new MalformedFileException(source, unknownPrefix(k));
        }
        return new Header(meta.step, meta.rng, meta.config, meta.spec, model, objective);
    }

    private static boolean objectiveState(String tensor) {
        return OBJECTIVE_PREFIXES.stream().anyMatch(tensor::startsWith);
    }

    private static String unknownPrefix(String tensor) {
        return "tensor '" + tensor + "' has none of the prefixes " + MODEL + ", " + EMA + ", " + OPTIM + ", " + TARGET
                + ", " + TIMESTEPS;
    }

    /** The checked metadata of a checkpoint file. */
    private record Metadata(long step, LinkedHashMap<String, RandomStream> rng, String config, String spec) {
        static Metadata parse(Map<String, String> meta, String source) throws MalformedFileException {
            String format = meta.get("format");
            if (!FORMAT.equals(format)) {
                throw new MalformedFileException(source, "not an atdiff checkpoint: metadata format is "
                        + (format == null ? "missing" : "'" + format + "'") + ", expected '" + FORMAT + "'");
            }
            long step = parseLong(meta.get("step"), "step", source);
            if (step < 0) throw new MalformedFileException(source, "negative step " + step);
            LinkedHashMap<String, RandomStream> rng = new LinkedHashMap<>();
            for (String key : meta.keySet()) {
                if (!key.startsWith(RNG)) continue;
                if (!key.endsWith(".seed") && !key.endsWith(".counter")) {
                    throw new MalformedFileException(source, "metadata key '" + key + "' is not rng.NAME.seed or"
                            + " rng.NAME.counter");
                }
                if (!key.endsWith(".seed")) continue;
                String name = key.substring(RNG.length(), key.length() - ".seed".length());
                long seed = parseLong(meta.get(key), key, source);
                String counterKey = RNG + name + ".counter";
                long counter = parseLong(meta.get(counterKey), counterKey, source);
                rng.put(name, new RandomStream(seed, counter));
            }
            for (String key : meta.keySet()) {
                if (key.startsWith(RNG) && key.endsWith(".counter")) {
                    String name = key.substring(RNG.length(), key.length() - ".counter".length());
                    if (!rng.containsKey(name)) throw new MalformedFileException(source, "'" + key + "' has no seed");
                }
            }
            String config = meta.get("config");
            if (config == null) throw new MalformedFileException(source, "metadata 'config' is missing");
            String spec = meta.get("model");
            if (spec == null) throw new MalformedFileException(source, "metadata 'model' (the model spec) is missing");
            return new Metadata(step, rng, config, spec);
        }
    }

    private static long parseLong(String value, String key, String source) throws MalformedFileException {
        if (value == null) throw new MalformedFileException(source, "metadata '" + key + "' is missing");
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new MalformedFileException(source, "metadata '" + key + "' is not an integer: '" + value + "'");
        }
    }

    /** The model's tensor names with dtype and shape, e.g. {@code "out.weight" -> "Float[3, 64, 3, 3]"}. */
    public LinkedHashMap<String, String> shapeSignature() {
        return shapeSignature(model);
    }

    public static LinkedHashMap<String, String> shapeSignature(Map<String, Tensor> tensors) {
        LinkedHashMap<String, String> sig = new LinkedHashMap<>();
        tensors.forEach((k, t) -> sig.put(k, t.scalar_type() + Arrays.toString(t.sizes().vec().get())));
        return sig;
    }

    /**
     * Throws an {@link IllegalArgumentException} naming the first tensor (in the model's order, then the
     * checkpoint's) that is missing on one side or differs in dtype or shape, so a run does not resume into a
     * model of another shape.
     */
    public void requireSameShapes(Map<String, Tensor> modelState) {
        requireSameShapes(shapeSignature(), modelState);
    }

    private static void requireSameShapes(LinkedHashMap<String, String> mine, Map<String, Tensor> modelState) {
        LinkedHashMap<String, String> theirs = shapeSignature(modelState);
        Set<String> names = new LinkedHashSet<>(theirs.keySet());
        names.addAll(mine.keySet());
        for (String name : names) {
            String m = theirs.get(name);
            String c = mine.get(name);
            if (c == null) {
                throw new IllegalArgumentException("checkpoint lacks model tensor '" + name + "' (" + m + ")");
            }
            if (m == null) {
                throw new IllegalArgumentException("checkpoint has tensor '" + name + "' (" + c
                        + ") that the model does not have");
            }
            if (!m.equals(c)) {
                throw new IllegalArgumentException("tensor '" + name + "' is " + c + " in the checkpoint but " + m
                        + " in the model");
            }
        }
    }
}
