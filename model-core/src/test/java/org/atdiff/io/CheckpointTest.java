package org.atdiff.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    private static final String SPEC = "{\"unet\":{\"preset\":\"tiny\"},\"schedule\":\"linear\",\"timesteps\":1000}";
    private static final String CONFIG = "{\"model\":{\"channels\":[32,64]},\"train\":{\"lr\":2e-4,\"note\":\"\\u00e9\"}}";

    private static LinkedHashMap<String, Tensor> weights(RandomStream r, long width) {
        LinkedHashMap<String, Tensor> w = new LinkedHashMap<>();
        w.put("in.weight", r.normal(width, 3, 3, 3));
        w.put("in.bias", r.normal(width));
        w.put("out.weight", r.normal(3, width, 3, 3));
        return w;
    }

    private static Checkpoint sample(RandomStream r, RandomStream data) {
        LinkedHashMap<String, Tensor> optim = new LinkedHashMap<>();
        optim.put("exp_avg.in.weight", r.normal(8, 3, 3, 3));
        optim.put("exp_avg_sq.in.weight", r.normal(8, 3, 3, 3).abs());
        optim.put("step", HostTensors.fromLongs(new long[] {1234}));
        optim.put("ema_decay", HostTensors.fromDoubles(new double[] {0.9999}));
        LinkedHashMap<String, RandomStream> rng = new LinkedHashMap<>();
        rng.put("train", r);
        rng.put("data.shuffle", data);
        return new Checkpoint(weights(r, 8), weights(r, 8), optim, 1234, rng, CONFIG, SPEC);
    }

    private static byte[] bytes(Checkpoint c) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.save(out);
        return out.toByteArray();
    }

    private static void assertSameTensors(Map<String, Tensor> want, Map<String, Tensor> got) {
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()));
        for (String k : want.keySet()) {
            assertEquals(want.get(k).scalar_type().intern(), got.get(k).scalar_type().intern(), k);
            assertArrayEquals(HostTensors.shape(want.get(k)), HostTensors.shape(got.get(k)), k);
            assertArrayEquals(SafeTensorsTest.rawBytes(want.get(k)), SafeTensorsTest.rawBytes(got.get(k)), k);
        }
    }

    @Test
    void roundTripIsBitForBit(@TempDir Path dir) throws Exception {
        try (PointerScope scope = new PointerScope()) {
            RandomStream r = new RandomStream(42);
            RandomStream data = new RandomStream(7).derive(3);
            data.nextLong();
            Checkpoint c = sample(r, data);
            // the record holds a snapshot: drawing afterwards does not move the saved state
            long nextTrain = r.nextLong();
            long nextData = data.nextLong();
            r.nextLong();

            Path file = dir.resolve("ckpt.safetensors");
            c.save(file);
            Checkpoint back = Checkpoint.load(file);
            assertSameTensors(c.model(), back.model());
            assertSameTensors(c.ema(), back.ema());
            assertSameTensors(c.optimizer(), back.optimizer());
            assertEquals(1234, back.step());
            assertEquals(CONFIG, back.configJson());
            assertEquals(SPEC, back.modelSpecJson());
            assertEquals(List.of("train", "data.shuffle"), List.copyOf(back.rng().keySet()));
            assertEquals(nextTrain, back.rng("train").nextLong());
            assertEquals(nextData, back.rng("data.shuffle").nextLong());
            assertEquals(nextTrain, back.rng("train").nextLong(), "rng(name) hands out fresh copies");
            assertThrows(IllegalArgumentException.class, () -> back.rng("eval"));

            SafeTensorsFile raw = SafeTensors.read(file);
            assertEquals(Checkpoint.FORMAT, raw.metadata().get("format"));
            assertEquals("1234", raw.metadata().get("step"));
            assertTrue(raw.tensors().containsKey("model.in.weight"));
            assertTrue(raw.tensors().containsKey("ema.out.weight"));
            assertTrue(raw.tensors().containsKey("optim.step"));
        }
    }

    @Test
    void theHeaderAloneGivesStepStreamsAndShapesWithoutReadingTheTensors() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            RandomStream r = new RandomStream(42);
            Checkpoint c = new Checkpoint(weights(r, 8), weights(r, 8), new LinkedHashMap<>(), 1234,
                    new LinkedHashMap<>(Map.of("data", new RandomStream(7, 3))), CONFIG, SPEC, prefixed(Checkpoint.TARGET, weights(r, 8)));
            byte[] file = bytes(c);
            long headerBytes = 8 + java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            // the header followed by no data at all: a full load fails, the header read does not touch the data
            byte[] headerOnly = java.util.Arrays.copyOf(file, (int) headerBytes);
            assertThrows(MalformedFileException.class, () -> Checkpoint.load(new ByteArrayInputStream(headerOnly), "h"));
            Checkpoint.Header h = Checkpoint.readHeader(new ByteArrayInputStream(headerOnly), "h");
            assertEquals(1234, h.step());
            assertEquals(CONFIG, h.configJson());
            assertEquals(SPEC, h.modelSpecJson());
            assertEquals(7, h.rng().get("data").seed());
            assertEquals(3, h.rng().get("data").counter());
            assertEquals(c.objective().keySet(), h.objectiveState(), "the objective's state tensors by name");
            assertEquals(c.shapeSignature(), h.modelSignature());
            h.requireSameShapes(weights(r, 8));
            String m = assertThrows(IllegalArgumentException.class, () -> h.requireSameShapes(weights(r, 16))).getMessage();
            assertEquals(assertThrows(IllegalArgumentException.class, () -> c.requireSameShapes(weights(r, 16))).getMessage(), m);
            Checkpoint plain = new Checkpoint(weights(r, 4), new LinkedHashMap<>(), new LinkedHashMap<>(), 0,
                    new LinkedHashMap<>(), "{}", SPEC);
            assertTrue(Checkpoint.readHeader(new ByteArrayInputStream(bytes(plain)), "p").objectiveState().isEmpty());
            // the same format check as a full load
            byte[] other = SafeTensors.toBytes(weights(r, 4), Map.of("format", "other"));
            m = assertThrows(MalformedFileException.class, () -> Checkpoint.readHeader(new ByteArrayInputStream(other), "o"))
                    .getMessage();
            assertTrue(m.contains("not an atdiff checkpoint"), m);
        }
    }

    @Test
    void emptyEmaAndOptimizerAreAllowed() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            RandomStream r = new RandomStream(1);
            Checkpoint c = new Checkpoint(weights(r, 4), new LinkedHashMap<>(), new LinkedHashMap<>(), 0,
                    new LinkedHashMap<>(), "{}", SPEC);
            Checkpoint back = Checkpoint.load(new ByteArrayInputStream(bytes(c)), "mem");
            assertSameTensors(c.model(), back.model());
            assertTrue(back.ema().isEmpty() && back.optimizer().isEmpty() && back.rng().isEmpty());
            assertEquals("{}", back.configJson());
        }
    }

    @Test
    void targetNetworkWeightsRoundTripUnderTheirOwnPrefix() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            RandomStream r = new RandomStream(3);
            Checkpoint c = new Checkpoint(weights(r, 4), weights(r, 4), new LinkedHashMap<>(), 7, new LinkedHashMap<>(),
                    "{}", SPEC, prefixed(Checkpoint.TARGET, weights(r, 4)));
            byte[] file = bytes(c);
            Checkpoint back = Checkpoint.load(new ByteArrayInputStream(file), "mem");
            assertSameTensors(c.objective(), back.objective());
            assertSameTensors(c.model(), back.model());
            assertTrue(SafeTensors.read(file, "mem").tensors().containsKey("target.in.bias"));
            Checkpoint plain = Checkpoint.load(new ByteArrayInputStream(bytes(new Checkpoint(weights(r, 4),
                    new LinkedHashMap<>(), new LinkedHashMap<>(), 0, new LinkedHashMap<>(), "{}", SPEC))), "mem");
            assertTrue(plain.objective().isEmpty(), "checkpoints without objective state load with an empty one");
        }
    }

    @Test
    void aTimestepSamplersStateRoundTripsUnderItsOwnPrefix() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            RandomStream r = new RandomStream(4);
            org.atdiff.objective.LossSecondMomentSampler sampler = new org.atdiff.objective.LossSecondMomentSampler(5);
            sampler.record(new int[] {0, 3, 3}, new double[] {0.25, 1.5, 1e-7});
            Checkpoint c = new Checkpoint(weights(r, 4), weights(r, 4), new LinkedHashMap<>(), 9, new LinkedHashMap<>(),
                    "{}", SPEC, prefixed(Checkpoint.TIMESTEPS, sampler.state()));
            byte[] file = bytes(c);
            Checkpoint back = Checkpoint.load(new ByteArrayInputStream(file), "mem");
            assertSameTensors(c.objective(), back.objective());
            assertTrue(SafeTensors.read(file, "mem").tensors().containsKey("timesteps.loss_history"));
            assertEquals(ScalarType.Double, back.objective().get("timesteps.loss_history").scalar_type().intern(), "losses in double");
        }
    }

    private static LinkedHashMap<String, Tensor> prefixed(String prefix, Map<String, Tensor> tensors) {
        LinkedHashMap<String, Tensor> named = new LinkedHashMap<>();
        tensors.forEach((k, v) -> named.put(prefix + k, v));
        return named;
    }

    private static void assertRejected(Map<String, Tensor> tensors, Map<String, String> meta, String fault) {
        byte[] file = SafeTensors.toBytes(tensors, meta);
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> Checkpoint.load(new ByteArrayInputStream(file), "hdfs://nn/ckpt/step-10.safetensors"));
        assertTrue(e.getMessage().startsWith("hdfs://nn/ckpt/step-10.safetensors: "), e.getMessage());
        assertTrue(e.getMessage().contains(fault), "expected '" + fault + "' in: " + e.getMessage());
    }

    @Test
    void rejectsFilesThatAreNotAtdiffCheckpoints() {
        try (PointerScope scope = new PointerScope()) {
            LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
            t.put("model.w", HostTensors.fromFloats(new float[] {1}, 1));
            assertRejected(t, Map.of(), "not an atdiff checkpoint: metadata format is missing");
            assertRejected(t, Map.of("format", "pt"), "not an atdiff checkpoint: metadata format is 'pt'");
            Map<String, String> ok = Map.of("format", Checkpoint.FORMAT, "step", "3", "config", "{}", "model", SPEC);
            assertRejected(t, Map.of("format", Checkpoint.FORMAT, "step", "3", "config", "{}"), "'model' (the model spec) is missing");
            assertRejected(t, Map.of("format", Checkpoint.FORMAT, "config", "{}"), "'step' is missing");
            assertRejected(t, Map.of("format", Checkpoint.FORMAT, "step", "x", "config", "{}"), "not an integer");
            assertRejected(t, Map.of("format", Checkpoint.FORMAT, "step", "3"), "'config' is missing");
            assertRejected(t, Map.of("format", Checkpoint.FORMAT, "step", "-3", "config", "{}", "model", SPEC), "negative step");
            Map<String, String> noCounter = new LinkedHashMap<>(ok);
            noCounter.put("rng.train.seed", "5");
            assertRejected(t, noCounter, "'rng.train.counter' is missing");
            Map<String, String> noSeed = new LinkedHashMap<>(ok);
            noSeed.put("rng.train.counter", "5");
            assertRejected(t, noSeed, "has no seed");
            LinkedHashMap<String, Tensor> stray = new LinkedHashMap<>(t);
            stray.put("weights.w", HostTensors.fromFloats(new float[] {1}, 1));
            assertRejected(stray, ok, "tensor 'weights.w' has none of the prefixes");
        }
    }

    @Test
    void requireSameShapesNamesTheFirstDifferingTensor() {
        try (PointerScope scope = new PointerScope()) {
            RandomStream r = new RandomStream(5);
            Checkpoint c = new Checkpoint(weights(r, 8), new LinkedHashMap<>(), new LinkedHashMap<>(), 0,
                    new LinkedHashMap<>(), "{}", SPEC);
            assertEquals("Float[8, 3, 3, 3]", c.shapeSignature().get("in.weight"));
            c.requireSameShapes(weights(r, 8));

            IllegalArgumentException wider =
                    assertThrows(IllegalArgumentException.class, () -> c.requireSameShapes(weights(r, 16)));
            assertTrue(wider.getMessage().contains("'in.weight' is Float[8, 3, 3, 3] in the checkpoint but"
                    + " Float[16, 3, 3, 3] in the model"), wider.getMessage());

            LinkedHashMap<String, Tensor> doubles = weights(r, 8);
            doubles.put("in.bias", doubles.get("in.bias").to(ScalarType.Double));
            IllegalArgumentException dtype =
                    assertThrows(IllegalArgumentException.class, () -> c.requireSameShapes(doubles));
            assertTrue(dtype.getMessage().contains("'in.bias'"), dtype.getMessage());

            LinkedHashMap<String, Tensor> extra = weights(r, 8);
            extra.put("mid.weight", r.normal(8));
            IllegalArgumentException lacks =
                    assertThrows(IllegalArgumentException.class, () -> c.requireSameShapes(extra));
            assertTrue(lacks.getMessage().contains("lacks model tensor 'mid.weight'"), lacks.getMessage());

            LinkedHashMap<String, Tensor> fewer = weights(r, 8);
            fewer.remove("out.weight");
            IllegalArgumentException more =
                    assertThrows(IllegalArgumentException.class, () -> c.requireSameShapes(fewer));
            assertTrue(more.getMessage().contains("'out.weight'") && more.getMessage().contains("does not have"),
                    more.getMessage());
        }
    }
}
