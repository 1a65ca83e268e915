package org.atdiff.io;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * numpy's {@code .npz}: a zip archive with one {@code NAME.npy} entry per array (as {@code numpy.savez} writes,
 * stored uncompressed); reads stored and deflated ({@code numpy.savez_compressed}) archives. Names come back
 * without the {@code .npy} suffix, in archive order, as {@code numpy.load} shows them.
 */
public final class Npz {
    private Npz() {}

    public static void write(OutputStream out, Map<String, NpyArray> arrays) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) throw new IllegalArgumentException("empty array name");
            ByteArrayOutputStream npy = new ByteArrayOutputStream();
            Npy.write(npy, e.getValue());
            byte[] bytes = npy.toByteArray();
            CRC32 crc = new CRC32();
            crc.update(bytes);
            ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(bytes.length);
            entry.setCompressedSize(bytes.length);
            entry.setCrc(crc.getValue());
            zip.putNextEntry(entry);
            zip.write(bytes);
            zip.closeEntry();
        }
        zip.finish();
        out.flush();
    }

    /**
     * Writes an archive of one uint8 array {@code name} of {@code shape} whose bytes (C order) come in pieces from
     * {@code pieces}, without holding them all: the entry is deflated, as {@code numpy.savez_compressed} writes, since
     * a stored entry needs its checksum before its data.
     */
    public static void writeUint8(OutputStream out, String name, long[] shape, Iterator<byte[]> pieces)
            throws IOException {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("empty array name");
        long expected = 1;
        for (long s : shape) expected = Math.multiplyExact(expected, s);
        ZipOutputStream zip = new ZipOutputStream(out);
        zip.setLevel(Deflater.BEST_SPEED);
        ZipEntry entry = new ZipEntry(name + ".npy");
        entry.setMethod(ZipEntry.DEFLATED);
        zip.putNextEntry(entry);
        Npy.writeUint8Header(zip, shape);
        long written = 0;
        while (pieces.hasNext()) {
            byte[] piece = pieces.next();
            written += piece.length;
            if (written > expected) break;
            zip.write(piece);
        }
        if (written != expected) {
            throw new IllegalArgumentException("array " + name + " of shape " + java.util.Arrays.toString(shape) + " needs "
                    + expected + " bytes, " + (written > expected ? "got more" : "got " + written));
        }
        zip.closeEntry();
        zip.finish();
        out.flush();
    }

    public static void write(Path path, Map<String, NpyArray> arrays) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path))) {
            write(out, arrays);
        }
    }

    public static LinkedHashMap<String, NpyArray> read(Path path) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            return read(in, path.toString());
        }
    }

    /** Reads every array of the archive; {@code source} names it in error messages. */
    public static LinkedHashMap<String, NpyArray> read(InputStream in, String source) throws IOException {
        LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
        ZipInputStream zip = new ZipInputStream(in);
        try {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.isDirectory()) continue;
                String name = e.getName().endsWith(".npy")
                        ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                if (arrays.containsKey(name)) {
                    throw new MalformedFileException(source, "array '" + name + "' appears twice");
                }
                arrays.put(name, Npy.read(zip, source + "[" + e.getName() + "]"));
            }
        } catch (ZipException | java.io.EOFException | IllegalArgumentException e) {
            // ZipInputStream reports an entry name that is not valid UTF-8 as an IllegalArgumentException
            throw new MalformedFileException(source, "broken zip archive: " + e.getMessage(), e);
        }
        if (arrays.isEmpty()) {
            throw new MalformedFileException(source, "not an .npz archive (no zip entries)");
        }
        return arrays;
    }
}
