package org.atdiff.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzTest {
    private static LinkedHashMap<String, NpyArray> sample() {
        Random rng = new Random(11);
        double[] sigma = new double[12];
        for (int i = 0; i < sigma.length; i++) sigma[i] = rng.nextGaussian() * 1e5;
        sigma[0] = Double.NaN;
        sigma[1] = -0.0;
        sigma[2] = Double.MIN_VALUE;
        sigma[3] = Double.NEGATIVE_INFINITY;
        float[] mu = {1.5f, -0.0f, Float.MIN_VALUE, 3.4e38f, (float) Math.PI};
        LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
        arrays.put("sigma", NpyArray.float64(sigma, 3, 4));
        arrays.put("mu", NpyArray.float32(mu, 5));
        arrays.put("scalar", NpyArray.float64(new double[] {42.0}));
        arrays.put("one", NpyArray.float64(new double[] {-1.0}, 1));
        arrays.put("empty", NpyArray.float64(new double[0], 0, 3));
        return arrays;
    }

    private static void assertSameArrays(Map<String, NpyArray> want, Map<String, NpyArray> got) {
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()));
        for (String k : want.keySet()) {
            assertEquals(want.get(k).dtype(), got.get(k).dtype(), k);
            assertArrayEquals(want.get(k).shape(), got.get(k).shape(), k);
            double[] w = want.get(k).data();
            double[] g = got.get(k).data();
            assertEquals(w.length, g.length, k);
            for (int i = 0; i < w.length; i++) {
                assertEquals(Double.doubleToRawLongBits(w[i]), Double.doubleToRawLongBits(g[i]), k + "[" + i + "]");
            }
        }
    }

    @Test
    void roundTripKeepsValuesShapesTypesAndOrder(@TempDir Path dir) throws Exception {
        LinkedHashMap<String, NpyArray> arrays = sample();
        Path file = dir.resolve("s.npz");
        Npz.write(file, arrays);
        assertSameArrays(arrays, Npz.read(file));
    }

    @Test
    void headersAreAlignedTo64Bytes() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, NpyArray.float64(new double[6], 2, 3));
        byte[] b = out.toByteArray();
        int headerLength = ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        assertEquals(0, (10 + headerLength) % 64);
        assertEquals('\n', b[10 + headerLength - 1]);
        assertEquals(10 + headerLength + 48, b.length);
    }

    /** A .npy entry with a hand-written header dict (version 1.0) and raw data. */
    private static byte[] npy(String dict, byte[] data) {
        byte[] h = dict.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h)
                .put(data).array();
    }

    private static byte[] zip(String entry, byte[] content) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry(entry));
            z.write(content);
            z.closeEntry();
        }
        return out.toByteArray();
    }

    private static void assertRejected(byte[] file, String fault) {
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> Npz.read(new ByteArrayInputStream(file), "ref/stats.npz"));
        assertTrue(e.getMessage().startsWith("ref/stats.npz"), e.getMessage());
        assertTrue(e.getMessage().contains(fault), "expected '" + fault + "' in: " + e.getMessage());
    }

    @Test
    void readsAHandWrittenArrayAndRejectsBadOnes() throws Exception {
        byte[] two = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.25).putDouble(-3).array();
        NpyArray ok = Npz.read(new ByteArrayInputStream(
                zip("x.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", two))), "ok").get("x");
        assertArrayEquals(new double[] {1.25, -3}, ok.data());

        assertRejected(zip("x.npy", npy("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 2), }\n", two)),
                "fortran_order True");
        assertRejected(zip("x.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", two)),
                "unsupported dtype '<i8'");
        assertRejected(zip("x.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n", two)),
                "unsupported dtype '|O'");
        assertRejected(zip("x.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", two)),
                "truncated");
        assertRejected(zip("x.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", two)),
                "trailing bytes");
        assertRejected(zip("x.npy", npy("{'descr': '<f8', 'shape': (2,), }\n", two)), "lacks");
        assertRejected(zip("x.npy", "a pickle".getBytes(StandardCharsets.US_ASCII)), "not a .npy array");
        assertRejected(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0}, "not an .npz");
    }

    @Test
    void numpyLoadsAJavaWrittenFile(@TempDir Path dir) throws Exception {
        PythonReference.assumeModules("numpy");
        LinkedHashMap<String, NpyArray> arrays = sample();
        Path file = dir.resolve("java.npz");
        Npz.write(file, arrays);
        String script = String.join("\n",
                "import json, sys, numpy as np",
                "z = np.load(sys.argv[1])",
                "out = {}",
                "for k in z.files:",
                "    a = z[k]",
                "    assert a.flags['C_CONTIGUOUS']",
                "    out[k] = {'dtype': a.dtype.str, 'shape': list(a.shape),",
                "              'bits': [int(v) for v in a.astype('<f8').view('<i8').ravel()]}",
                "out['order'] = z.files",
                "print(json.dumps(out))");
        JsonNode res = new ObjectMapper().readTree(PythonReference.run(script, file.toString()));
        assertEquals(List.copyOf(arrays.keySet()), new ObjectMapper().convertValue(res.get("order"), List.class));
        for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
            JsonNode r = res.get(e.getKey());
            assertEquals(e.getValue().dtype() == NpyArray.Dtype.FLOAT64 ? "<f8" : "<f4", r.get("dtype").asText());
            long[] shape = new long[r.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = r.get("shape").get(i).asLong();
            assertArrayEquals(e.getValue().shape(), shape, e.getKey());
            double[] d = e.getValue().data();
            for (int i = 0; i < d.length; i++) {
                assertEquals(Double.doubleToRawLongBits(d[i]), r.get("bits").get(i).asLong(), e.getKey() + i);
            }
        }
    }

    @Test
    void readsWhatNumpyWrites(@TempDir Path dir) throws Exception {
        PythonReference.assumeModules("numpy");
        String script = String.join("\n",
                "import sys, zipfile, numpy as np",
                "d = sys.argv[1]",
                "a = np.arange(12, dtype='<f8').reshape(3, 4) / 7 - 0.5",
                "b = np.array([1.5, -2.25, 1e-40, np.inf], dtype='<f4')",
                "np.savez(d + '/plain.npz', mu=b, sigma=a)",
                "np.savez_compressed(d + '/compressed.npz', mu=b, sigma=a)",
                "with zipfile.ZipFile(d + '/v2.npz', 'w') as z:",
                "    with z.open('sigma.npy', 'w') as f:",
                "        np.lib.format.write_array(f, a, version=(2, 0))",
                "    with z.open('big.npy', 'w') as f:",
                "        np.lib.format.write_array(f, a.astype('>f8'), version=(1, 0))",
                "np.savez(d + '/fortran.npz', sigma=np.asfortranarray(a))",
                "np.savez(d + '/ints.npz', n=np.arange(3))");
        PythonReference.run(script, dir.toString());
        double[] a = new double[12];
        for (int i = 0; i < 12; i++) a[i] = i / 7.0 - 0.5;
        float[] b = {1.5f, -2.25f, 1e-40f, Float.POSITIVE_INFINITY};
        LinkedHashMap<String, NpyArray> want = new LinkedHashMap<>();
        want.put("mu", NpyArray.float32(b, 4));
        want.put("sigma", NpyArray.float64(a, 3, 4));
        assertSameArrays(want, Npz.read(dir.resolve("plain.npz")));
        assertSameArrays(want, Npz.read(dir.resolve("compressed.npz")));

        LinkedHashMap<String, NpyArray> v2 = Npz.read(dir.resolve("v2.npz"));
        assertSameArrays(Map.of("sigma", NpyArray.float64(a, 3, 4)), Map.of("sigma", v2.get("sigma")));
        assertSameArrays(Map.of("big", NpyArray.float64(a, 3, 4)), Map.of("big", v2.get("big")));

        MalformedFileException f = assertThrows(MalformedFileException.class,
                () -> Npz.read(dir.resolve("fortran.npz")));
        assertTrue(f.getMessage().contains("fortran.npz") && f.getMessage().contains("fortran_order True"),
                f.getMessage());
        MalformedFileException i = assertThrows(MalformedFileException.class, () -> Npz.read(dir.resolve("ints.npz")));
        assertTrue(i.getMessage().contains("ints.npz") && i.getMessage().contains("unsupported dtype '<i8'"),
                i.getMessage());
    }

    /** A stack of uint8 images in pieces, read back by this reader and by numpy: same shape, dtype and bytes. */
    @Test
    void uint8ImageStacksRoundTripAndNumpyReadsThem(@TempDir Path dir) throws Exception {
        byte[] all = new byte[5 * 4 * 3 * 2];
        new Random(7).nextBytes(all);
        List<byte[]> pieces = List.of(java.util.Arrays.copyOfRange(all, 0, 24), java.util.Arrays.copyOfRange(all, 24, 120));
        Path file = dir.resolve("images.npz");
        try (var out = java.nio.file.Files.newOutputStream(file)) {
            Npz.writeUint8(out, "arr_0", new long[] {5, 4, 3, 2}, pieces.iterator());
        }
        NpyArray back = Npz.read(file).get("arr_0");
        assertEquals(NpyArray.Dtype.UINT8, back.dtype());
        assertArrayEquals(new long[] {5, 4, 3, 2}, back.shape());
        for (int i = 0; i < all.length; i++) assertEquals(all[i] & 0xff, back.data()[i], "byte " + i);
        assertThrows(IllegalArgumentException.class, () -> Npz.writeUint8(new ByteArrayOutputStream(), "arr_0",
                new long[] {5, 4, 3, 3}, pieces.iterator()));
        assertThrows(IllegalArgumentException.class,
                () -> new NpyArray(NpyArray.Dtype.UINT8, new long[] {1}, new double[] {256}));
        PythonReference.assumeModules("numpy");
        String script = String.join("\n",
                "import sys, numpy as np",
                "a = np.load(sys.argv[1])['arr_0']",
                "print(a.dtype, a.shape, ','.join(str(int(v)) for v in a.ravel()))");
        String[] got = PythonReference.run(script, file.toString()).strip().split(" ", 2);
        assertEquals("uint8", got[0]);
        StringBuilder want = new StringBuilder();
        for (byte b : all) want.append(want.length() == 0 ? "" : ",").append(b & 0xff);
        assertEquals("(5, 4, 3, 2) " + want, got[1]);
    }
}
