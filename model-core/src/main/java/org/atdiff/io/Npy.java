package org.atdiff.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One array in numpy's {@code .npy} format (numpy's NEP 1): the magic {@code \x93NUMPY}, a version (1.0 writes a
 * 2-byte header length, 2.0 and 3.0 a 4-byte one), a Python dict literal {@code {'descr', 'fortran_order', 'shape'}}
 * padded with spaces to a multiple of 64 bytes and ended by a newline, then the values. Writes version 1.0,
 * little-endian, C order; reads float64 and float32 of either byte order, C order only.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    public static void write(OutputStream out, NpyArray array) throws IOException {
        out.write(header((array.dtype() == NpyArray.Dtype.UINT8 ? "|" : "<") + array.dtype().code, array.shape()));
        double[] data = array.data();
        ByteBuffer body = ByteBuffer.allocate(Math.multiplyExact(data.length, array.dtype().bytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        if (array.dtype() == NpyArray.Dtype.FLOAT64) {
            body.asDoubleBuffer().put(data);
        } else if (array.dtype() == NpyArray.Dtype.UINT8) {
            for (double v : data) body.put((byte) v);
        } else {
            for (int i = 0; i < data.length; i++) body.putFloat(4 * i, (float) data[i]);
        }
        out.write(body.array());
    }

    /**
     * Writes {@code data} as a uint8 array ({@code |u1}) of {@code shape}, straight from the bytes: image stacks are
     * too large to pass through {@link NpyArray}'s doubles.
     */
    public static void writeUint8(OutputStream out, byte[] data, long... shape) throws IOException {
        writeUint8Header(out, shape);
        if (data.length != count(shape)) {
            throw new IllegalArgumentException(data.length + " bytes do not fit shape " + Arrays.toString(shape));
        }
        out.write(data);
    }

    /** The header of a uint8 array of {@code shape}; the caller writes its product of bytes after it. */
    public static void writeUint8Header(OutputStream out, long... shape) throws IOException {
        out.write(header("|u1", shape));
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    private static byte[] header(String descr, long[] shapeDims) {
        StringBuilder shape = new StringBuilder("(");
        for (long s : shapeDims) shape.append(s).append(", ");
        if (shapeDims.length > 0) shape.setLength(shape.length() - 2);
        if (shapeDims.length == 1) shape.append(',');
        shape.append(')');
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padded = (unpadded + 63) / 64 * 64;
        if (padded - MAGIC.length - 4 > 0xffff) throw new IllegalArgumentException("shape too long: " + shape);
        String header = dict + " ".repeat(padded - unpadded) + "\n";
        ByteBuffer head = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length())
                .put(header.getBytes(StandardCharsets.US_ASCII));
        return head.array();
    }

    /** Reads one array that fills {@code in} exactly; {@code source} names it in error messages. */
    public static NpyArray read(InputStream in, String source) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || !Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) {
            throw new MalformedFileException(source, "not a .npy array (no \\x93NUMPY magic)");
        }
        int major = magic[6];
        int headerLength;
        if (major == 1) {
            byte[] len = readExactly(in, 2, source, "header length");
            headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
        } else if (major == 2 || major == 3) {
            byte[] len = readExactly(in, 4, source, "header length");
            headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (headerLength < 0 || headerLength > 1 << 24) {
                throw new MalformedFileException(source, "implausible .npy header length " + headerLength);
            }
        } else {
            throw new MalformedFileException(source, "unsupported .npy version " + major + "." + magic[7]);
        }
        String header = new String(readExactly(in, headerLength, source, "header"),
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).strip();
        if (!header.startsWith("{") || !header.endsWith("}")) {
            throw new MalformedFileException(source, ".npy header is not a dict: " + header);
        }
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeMatch = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shapeMatch.find()) {
            throw new MalformedFileException(source, ".npy header lacks descr, fortran_order or shape: " + header);
        }
        if (fortran.group(1).equals("True")) {
            throw new MalformedFileException(source, "fortran_order True (column-major) arrays are not supported;"
                    + " save with numpy.ascontiguousarray");
        }
        String code = descr.group(1);
        ByteOrder order = code.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        String bare = code.startsWith("<") || code.startsWith(">") || code.startsWith("=")
                || code.startsWith("|") ? code.substring(1) : code;
        NpyArray.Dtype dtype = null;
        for (NpyArray.Dtype d : NpyArray.Dtype.values()) if (d.code.equals(bare)) dtype = d;
        if (dtype == null) {
            throw new MalformedFileException(source, "unsupported dtype '" + code + "'; only float64 (<f8),"
                    + " float32 (<f4) and uint8 (|u1) arrays are read");
        }
        long[] shape;
        long count = 1;
        try {
            String[] dims = shapeMatch.group(1).split(",");
            shape = Arrays.stream(dims).map(String::strip).filter(s -> !s.isEmpty())
                    .mapToLong(s -> Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s)).toArray();
            for (long s : shape) {
                if (s < 0) throw new NumberFormatException("negative");
                count = Math.multiplyExact(count, s);
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new MalformedFileException(source, "bad shape (" + shapeMatch.group(1) + ")");
        }
        // count <= 2^63 / 1 and dtype.bytes <= 8: the product is checked before it can overflow.
        if (count > (Integer.MAX_VALUE - 8) / dtype.bytes) {
            throw new MalformedFileException(source, "array of " + count + " " + code + " elements is too large");
        }
        int n = (int) count;
        byte[] body = in.readNBytes(n * dtype.bytes); // grows with the bytes present, not with the declared size
        if (body.length < n * dtype.bytes) {
            throw new MalformedFileException(source, "truncated: shape " + Arrays.toString(shape) + " of " + code
                    + " needs " + (long) n * dtype.bytes + " data bytes, found " + body.length);
        }
        if (in.read() >= 0) throw new MalformedFileException(source, "trailing bytes after the array data");
        double[] data = new double[n];
        ByteBuffer b = ByteBuffer.wrap(body).order(order);
        if (dtype == NpyArray.Dtype.FLOAT64) {
            b.asDoubleBuffer().get(data);
        } else if (dtype == NpyArray.Dtype.UINT8) {
            for (int i = 0; i < n; i++) data[i] = body[i] & 0xff;
        } else {
            for (int i = 0; i < n; i++) data[i] = b.getFloat(4 * i);
        }
        return new NpyArray(dtype, shape, data);
    }

    private static byte[] readExactly(InputStream in, int n, String source, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) throw new MalformedFileException(source, "truncated in the .npy " + what);
        return b;
    }
}
