package org.atdiff.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    /** A tensor whose memory holds exactly {@code raw} (native = little-endian order). */
    static Tensor fromRaw(byte[] raw, ScalarType type, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(type), null);
        assertEquals(raw.length, t.nbytes());
        if (raw.length > 0) new BytePointer(t.data_ptr()).capacity(raw.length).put(raw, 0, raw.length);
        return t;
    }

    static byte[] rawBytes(Tensor t) {
        Tensor c = t.contiguous();
        byte[] raw = new byte[Math.toIntExact(c.nbytes())];
        if (raw.length > 0) new BytePointer(c.data_ptr()).capacity(raw.length).get(raw);
        return raw;
    }

    /** Random bit patterns, with NaNs (quiet, signalling, negative with payload), -0.0, denormals and infinities. */
    private static byte[] bitPatterns(ScalarType type, int n, int size, Random rng) {
        byte[] raw = new byte[n * size];
        rng.nextBytes(raw);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (type == ScalarType.Float) {
            int[] special = {0x7fc00000, 0x7f800001, 0xffc12345, 0x80000000, 0x00000001, 0x007fffff, 0x7f800000,
                    0xff800000};
            for (int i = 0; i < Math.min(n, special.length); i++) b.putInt(4 * i, special[i]);
        } else if (type == ScalarType.Double) {
            long[] special = {0x7ff8000000000000L, 0x7ff0000000000001L, 0xfff8000000abcdefL, 0x8000000000000000L,
                    0x0000000000000001L, 0x000fffffffffffffL, 0x7ff0000000000000L};
            for (int i = 0; i < Math.min(n, special.length); i++) b.putLong(8 * i, special[i]);
        } else if (type == ScalarType.BFloat16 || type == ScalarType.Half) {
            short[] special = type == ScalarType.BFloat16
                    ? new short[] {0x7fc0, 0x7f81, (short) 0xffc1, (short) 0x8000, 0x0001, 0x007f, 0x7f80}
                    : new short[] {0x7e00, 0x7c01, (short) 0xfe01, (short) 0x8000, 0x0001, 0x03ff, 0x7c00};
            for (int i = 0; i < Math.min(n, special.length); i++) b.putShort(2 * i, special[i]);
        }
        return raw;
    }

    @Test
    void everyDtypeRoundTripsBitForBit() throws Exception {
        Object[][] types = {
            {ScalarType.Float, 4}, {ScalarType.Double, 8}, {ScalarType.Long, 8}, {ScalarType.Int, 4},
            {ScalarType.Byte, 1}, {ScalarType.BFloat16, 2}, {ScalarType.Half, 2}, {ScalarType.Char, 1},
            {ScalarType.Short, 2}};
        try (PointerScope scope = new PointerScope()) {
            Random rng = new Random(7);
            LinkedHashMap<String, Tensor> in = new LinkedHashMap<>();
            LinkedHashMap<String, byte[]> raws = new LinkedHashMap<>();
            for (Object[] ty : types) {
                ScalarType type = (ScalarType) ty[0];
                int size = (Integer) ty[1];
                byte[] raw = bitPatterns(type, 3 * 5 * 7, size, rng);
                // names deliberately not sorted: the written order must be kept
                String name = "z." + type + ".weight";
                in.put(name, fromRaw(raw, type, 3, 5, 7));
                raws.put(name, raw);
            }
            in.put("a.scalar", fromRaw(bitPatterns(ScalarType.Double, 1, 8, rng), ScalarType.Double));
            in.put("b.empty", torch.empty(new long[] {0, 4}, new TensorOptions(ScalarType.Float), null));
            // a non-contiguous view is written as its contiguous copy
            Tensor base = HostTensors.fromFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            in.put("c.transposed", base.t());

            byte[] file = SafeTensors.toBytes(in, Map.of());
            SafeTensorsFile out = SafeTensors.read(file, "roundtrip");
            assertEquals(List.copyOf(in.keySet()), List.copyOf(out.tensors().keySet()));
            for (Map.Entry<String, byte[]> e : raws.entrySet()) {
                Tensor t = out.tensors().get(e.getKey());
                assertEquals(in.get(e.getKey()).scalar_type().intern(), t.scalar_type().intern(), e.getKey());
                assertArrayEquals(new long[] {3, 5, 7}, HostTensors.shape(t), e.getKey());
                assertArrayEquals(e.getValue(), rawBytes(t), e.getKey());
            }
            assertArrayEquals(new long[0], HostTensors.shape(out.tensors().get("a.scalar")));
            assertArrayEquals(rawBytes(in.get("a.scalar")), rawBytes(out.tensors().get("a.scalar")));
            assertArrayEquals(new long[] {0, 4}, HostTensors.shape(out.tensors().get("b.empty")));
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, HostTensors.toFloats(out.tensors().get("c.transposed")));
            assertTrue(out.metadata().isEmpty());

            // the header is padded with spaces so that the data starts 8-byte aligned
            long headerLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, headerLength % 8);
        }
    }

    @Test
    void metadataRoundTripsThroughAFile(@TempDir Path dir) throws Exception {
        try (PointerScope scope = new PointerScope()) {
            LinkedHashMap<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("config", "{\"a\": [1, 2], \"s\": \"\\u00e9\\\"\"}");
            meta.put("unicode", "\u00e9\u4e2d\ud83d\ude00");
            meta.put("empty", "");
            LinkedHashMap<String, Tensor> in = new LinkedHashMap<>();
            in.put("w", HostTensors.fromFloats(new float[] {1.5f, -2f}, 2));
            Path file = dir.resolve("m.safetensors");
            SafeTensors.write(file, in, meta);
            SafeTensorsFile out = SafeTensors.read(file);
            assertEquals(meta, out.metadata());
            assertEquals(List.copyOf(meta.keySet()), List.copyOf(out.metadata().keySet()));
            assertArrayEquals(new float[] {1.5f, -2f}, HostTensors.toFloats(out.tensors().get("w")));
        }
    }

    @Test
    void writerRejectsBadNamesAndDtypes() {
        try (PointerScope scope = new PointerScope()) {
            LinkedHashMap<String, Tensor> bad = new LinkedHashMap<>();
            bad.put("__metadata__", HostTensors.fromFloats(new float[] {1}, 1));
            assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(bad, null));
            LinkedHashMap<String, Tensor> bool = new LinkedHashMap<>();
            bool.put("flags", HostTensors.fromFloats(new float[] {1}, 1).to(ScalarType.Bool));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(bool, null));
            assertTrue(e.getMessage().contains("flags"), e.getMessage());
        }
    }

    /** A hand-made file: header JSON (unpadded) followed by {@code data}. */
    private static byte[] craft(String json, byte[] data) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    private static void assertRejected(byte[] file, String expectedFault) {
        MalformedFileException e =
                assertThrows(MalformedFileException.class, () -> SafeTensors.read(file, "bad/input.safetensors"));
        assertTrue(e.getMessage().startsWith("bad/input.safetensors: "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedFault), "expected '" + expectedFault + "' in: " + e.getMessage());
    }

    @Test
    void craftedValidFileIsRead() throws Exception {
        // guards the crafting helper used by the rejection tests below
        byte[] data = new byte[12];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(-2f).putFloat(0.5f);
        try (PointerScope scope = new PointerScope()) {
            SafeTensorsFile f = SafeTensors.read(craft(
                    "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data), "ok");
            assertEquals(List.of("a", "b"), List.copyOf(f.tensors().keySet()), "data order");
            assertArrayEquals(new float[] {1f, -2f}, HostTensors.toFloats(f.tensors().get("a")));
            assertArrayEquals(new float[] {0.5f}, HostTensors.toFloats(f.tensors().get("b")));
        }
    }

    @Test
    void rejectsTruncatedFiles() throws Exception {
        byte[] good;
        try (PointerScope scope = new PointerScope()) {
            LinkedHashMap<String, Tensor> in = new LinkedHashMap<>();
            in.put("w", HostTensors.fromFloats(new float[] {1, 2, 3, 4}, 4));
            good = SafeTensors.toBytes(in, Map.of("k", "v"));
        }
        assertRejected(Arrays.copyOf(good, good.length - 3), "truncated");
        assertRejected(Arrays.copyOf(good, 5), "truncated");
        assertRejected(new byte[0], "truncated");
        assertRejected(Arrays.copyOf(good, 20), "exceeds");
    }

    @Test
    void rejectsAHeaderLengthLargerThanTheFile() {
        byte[] file = craft("{}", new byte[0]);
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 4096);
        assertRejected(file, "header length 4096 exceeds");
    }

    @Test
    void rejectsInvalidJson() {
        assertRejected(craft("{\"w\": {\"dtype\": \"F32\", ", new byte[0]), "invalid JSON");
        assertRejected(craft("{\"w\": 1} trailing", new byte[0]), "invalid JSON");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]), "invalid JSON");
        assertRejected(craft("[1, 2]   ", new byte[0]), "not a safetensors file");
        assertRejected(craft("{\"w\": [1]}", new byte[0]), "not a JSON object");
        assertRejected(craft("{\"__metadata__\": {\"k\": 1}}", new byte[0]), "not a string");
        byte[] notUtf8 = craft("{\"\u00e9\": 1}", new byte[0]);
        notUtf8[10] = (byte) 0xff;
        assertRejected(notUtf8, "not UTF-8");
    }

    @Test
    void rejectsOverlappingGappedAndOutOfRangeOffsets() {
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "overlap");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", new byte[20]), "gap");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4]),
                "truncated");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", new byte[8]),
                "0 <= begin <= end");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[4]),
                "0 <= begin <= end");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]),
                "trailing bytes");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]),
                "not a pair of integers");
    }

    @Test
    void rejectsShapeDtypeSizeMismatchAndUnknownDtypes() {
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]),
                "needs 12 bytes");
        assertRejected(craft("{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]),
                "needs 16 bytes");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]),
                "non-negative integers");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}",
                new byte[8]), "overflows");
        assertRejected(craft("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]),
                "unsupported dtype 'C64'");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[0]), "exactly dtype, shape");
    }

    @Test
    void rejectsFilesOfOtherFormats() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
            0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};
        assertRejected(png, "not a safetensors file");
        // pickle protocol 2 of [1] as written by Python, and the zip container torch.save writes
        byte[] pickle = {(byte) 0x80, 0x02, ']', 'q', 0x00, 'K', 0x01, 'a', '.'};
        assertRejected(pickle, "not a safetensors file");
        byte[] zip = {'P', 'K', 0x03, 0x04, 0x14, 0, 0, 0, 0, 0, 0, 0};
        assertRejected(zip, "not a safetensors file");
        // a small header length that still does not point at JSON
        byte[] text = "\u0010\0\0\0\0\0\0\0not json at all!".getBytes(StandardCharsets.ISO_8859_1);
        assertRejected(text, "not a safetensors file");
    }

    @Test
    void numpyReadsAJavaWrittenFile() throws Exception {
        PythonReference.assumeModules("numpy");
        try (PointerScope scope = new PointerScope()) {
            Random rng = new Random(3);
            float[] f = new float[24];
            for (int i = 0; i < f.length; i++) f[i] = (float) rng.nextGaussian() * 1e3f;
            f[0] = -0.0f;
            f[1] = Float.MIN_VALUE;
            double[] d = {Math.PI, -1e-310, 1e300, -0.0};
            LinkedHashMap<String, Tensor> in = new LinkedHashMap<>();
            in.put("f32", HostTensors.fromFloats(f, 2, 3, 4));
            in.put("f64", HostTensors.fromDoubles(d, 4, 1));
            in.put("i64", HostTensors.fromLongs(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 2, 2));
            in.put("i32", HostTensors.fromLongs(new long[] {Integer.MIN_VALUE, -7, 8, Integer.MAX_VALUE}, 4)
                    .to(ScalarType.Int));
            in.put("u8", HostTensors.fromLongs(new long[] {0, 1, 128, 255}, 1, 4).to(ScalarType.Byte));
            in.put("bf16", HostTensors.fromFloats(new float[] {1f, -2.5f, 3.140625f, 1e30f, -1e-30f}, 5)
                    .to(ScalarType.BFloat16));
            in.put("f16", HostTensors.fromFloats(new float[] {0.5f, -65504f, 6e-8f}, 3).to(ScalarType.Half));
            Path file = Path.of(System.getProperty("java.io.tmpdir"), "atdiff-st-" + ProcessHandle.current().pid()
                    + ".safetensors");
            try {
                SafeTensors.write(file, in, Map.of("who", "java"));
                String script = String.join("\n",
                        "import json, struct, sys, numpy as np",
                        "raw = open(sys.argv[1], 'rb').read()",
                        "n = struct.unpack('<Q', raw[:8])[0]",
                        "header = json.loads(raw[8:8 + n].decode('utf-8'))",
                        "data = raw[8 + n:]",
                        "types = {'F32': '<f4', 'F64': '<f8', 'I64': '<i8', 'I32': '<i4', 'U8': 'u1',",
                        "         'BF16': '<u2', 'F16': '<f2'}",
                        "out = {'__metadata__': header.pop('__metadata__'), 'order': list(header)}",
                        "for name, info in header.items():",
                        "    b, e = info['data_offsets']",
                        "    a = np.frombuffer(data[b:e], dtype=types[info['dtype']]).reshape(info['shape'])",
                        "    if info['dtype'] == 'BF16':",
                        "        a = (a.astype(np.uint32) << 16).view(np.float32)",
                        "    out[name] = {'shape': list(a.shape),",
                        "                 'values': [repr(v) for v in a.ravel().tolist()]}",
                        "print(json.dumps(out))");
                JsonNode res = new ObjectMapper().readTree(PythonReference.run(script, file.toString()));
                assertEquals("java", res.get("__metadata__").get("who").asText());
                assertEquals(List.of("f32", "f64", "i64", "i32", "u8", "bf16", "f16"),
                        new ObjectMapper().convertValue(res.get("order"), List.class));
                for (Map.Entry<String, Tensor> e : in.entrySet()) {
                    JsonNode r = res.get(e.getKey());
                    long[] shape = new long[r.get("shape").size()];
                    for (int i = 0; i < shape.length; i++) shape[i] = r.get("shape").get(i).asLong();
                    assertArrayEquals(HostTensors.shape(e.getValue()), shape, e.getKey());
                    boolean integral = e.getKey().startsWith("i") || e.getKey().equals("u8");
                    if (integral) {
                        long[] want = HostTensors.toLongs(e.getValue());
                        for (int i = 0; i < want.length; i++) {
                            assertEquals(want[i], Long.parseLong(r.get("values").get(i).asText()), e.getKey());
                        }
                    } else {
                        double[] want = HostTensors.toDoubles(e.getValue());
                        for (int i = 0; i < want.length; i++) {
                            double got = Double.parseDouble(r.get("values").get(i).asText());
                            assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(got),
                                    e.getKey() + "[" + i + "]: " + want[i] + " vs " + got);
                        }
                    }
                }
            } finally {
                java.nio.file.Files.deleteIfExists(file);
            }
        }
    }
}
