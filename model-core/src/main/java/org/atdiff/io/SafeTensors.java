package org.atdiff.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Reads and writes the safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of UTF-8 JSON {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}}}
 * (padded with spaces to a multiple of 8), then the raw little-endian tensor data, offsets relative to its start.
 * Works on streams so callers can use Hadoop file systems; tensors are copied straight into native memory.
 */
public final class SafeTensors {
    /** The reference implementation's limit on the header size; a larger length means "not a safetensors file". */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final String METADATA = "__metadata__";
    private static final int CHUNK = 1 << 20;
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private SafeTensors() {}

    /** The element types stored, with their safetensors names and sizes in bytes. */
    enum Dtype {
        F64(ScalarType.Double, 8), F32(ScalarType.Float, 4), F16(ScalarType.Half, 2), BF16(ScalarType.BFloat16, 2),
        I64(ScalarType.Long, 8), I32(ScalarType.Int, 4), I16(ScalarType.Short, 2), I8(ScalarType.Char, 1),
        U8(ScalarType.Byte, 1);

        final ScalarType scalarType;
        final int bytes;

        Dtype(ScalarType scalarType, int bytes) {
            this.scalarType = scalarType;
            this.bytes = bytes;
        }

        static Dtype of(ScalarType t) {
            for (Dtype d : values()) if (d.scalarType.value == t.value) return d;
            return null;
        }
    }

    /**
     * Writes {@code tensors} (CPU or not, any layout; copied to contiguous CPU) in map order, data laid out
     * contiguously in that order, with {@code metadata} as {@code __metadata__} (omitted when empty or null).
     */
    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        checkNativeOrder();
        List<String> names = new ArrayList<>(tensors.keySet());
        List<Tensor> data = new ArrayList<>();
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata entries must be non-null: " + e);
                }
                meta.put(e.getKey(), e.getValue());
            }
        }
        long offset = 0;
        for (String name : names) {
            if (name == null || name.isEmpty() || name.equals(METADATA)) {
                throw new IllegalArgumentException("invalid tensor name: '" + name + "'");
            }
            Tensor t = tensors.get(name);
            Dtype dtype = Dtype.of(t.scalar_type());
            if (dtype == null) {
                throw new IllegalArgumentException("tensor '" + name + "' has dtype " + t.scalar_type()
                        + ", not one of " + Arrays.toString(Dtype.values()));
            }
            Tensor c = t.cpu().contiguous();
            data.add(c);
            long bytes = c.numel() * dtype.bytes;
            ObjectNode info = header.putObject(name);
            info.put("dtype", dtype.name());
            ArrayNode shape = info.putArray("shape");
            for (long s : c.sizes().vec().get()) shape.add(s);
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // the reference writer aligns the data start to 8 bytes
        byte[] head = new byte[8 + padded];
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, head, 8, json.length);
        Arrays.fill(head, 8 + json.length, head.length, (byte) ' ');
        out.write(head);
        byte[] buf = new byte[CHUNK];
        for (Tensor c : data) {
            long n = c.nbytes();
            if (n == 0) continue;
            BytePointer p = new BytePointer(c.data_ptr()).capacity(n);
            for (long pos = 0; pos < n; pos += CHUNK) {
                int len = (int) Math.min(CHUNK, n - pos);
                p.position(pos).get(buf, 0, len);
                out.write(buf, 0, len);
            }
        }
        out.flush();
    }

    /** The file as bytes (see {@link #write(OutputStream, Map, Map)}). */
    public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(out, tensors, metadata);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path))) {
            write(out, tensors, metadata);
        }
    }

    public static SafeTensorsFile read(Path path) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            return read(in, path.toString());
        }
    }

    public static SafeTensorsFile read(byte[] bytes, String source) throws IOException {
        return read(new ByteArrayInputStream(bytes), source);
    }

    /**
     * The metadata and the tensors' signatures ({@code "Float[3, 64, 3, 3]"}, dtype and shape in the form of
     * {@link Checkpoint#shapeSignature}) of a safetensors stream, reading its header only (not the tensor data),
     * checked as {@link #read} checks it.
     */
    public static SafeTensorsHeader readHeader(InputStream in, String source) throws IOException {
        Header h = header(in, source);
        LinkedHashMap<String, String> signatures = new LinkedHashMap<>();
        for (Entry e : h.entries()) signatures.put(e.name, e.dtype.scalarType + Arrays.toString(e.shape));
        return new SafeTensorsHeader(h.metadata(), signatures);
    }

    private record Header(LinkedHashMap<String, String> metadata, List<Entry> entries) {}

    /** The header's metadata and entries in data order, rejecting overlapping or gapped offsets. */
    private static Header header(InputStream in, String source) throws IOException {
        byte[] lengthBytes = in.readNBytes(8);
        if (lengthBytes.length < 8) {
            throw new MalformedFileException(source, "truncated: " + lengthBytes.length
                    + " bytes, shorter than the 8-byte header length of a safetensors file");
        }
        long headerLength = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw new MalformedFileException(source, "not a safetensors file: header length " + headerLength
                    + " is outside [2, " + MAX_HEADER_BYTES + "] (first bytes " + hex(lengthBytes) + ")");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new MalformedFileException(source, "truncated: header length " + headerLength
                    + " exceeds the " + headerBytes.length + " bytes that follow it");
        }
        JsonNode header = parseHeader(headerBytes, source);

        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals(METADATA)) {
                readMetadata(f.getValue(), metadata, source);
            } else {
                entries.add(Entry.parse(f.getKey(), f.getValue(), source));
            }
        }
        entries.sort(Comparator.comparingLong((Entry e) -> e.begin).thenComparingLong(e -> e.end));
        long expected = 0;
        for (Entry e : entries) {
            if (e.begin != expected) {
                throw new MalformedFileException(source, "tensor '" + e.name + "' data_offsets [" + e.begin + ", "
                        + e.end + "] " + (e.begin < expected ? "overlap" : "leave a gap after") + " the data ending at "
                        + expected);
            }
            expected = e.end;
        }

        return new Header(metadata, entries);
    }

    /**
     * Reads a whole safetensors stream; {@code source} names it in error messages. Rejects (with a
     * {@link MalformedFileException}) truncated data, a header that is not a JSON object of well-formed entries,
     * unknown dtypes, sizes that do not match shape x dtype, offsets that overlap, leave gaps or run past the
     * data, and trailing bytes. Tensors come back in the order of their data.
     */
    public static SafeTensorsFile read(InputStream in, String source) throws IOException {
        checkNativeOrder();
        Header h = header(in, source);
        LinkedHashMap<String, String> metadata = h.metadata();
        List<Entry> entries = h.entries();
        long expected = entries.isEmpty() ? 0 : entries.get(entries.size() - 1).end;
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            // The data is read before the tensor is allocated, so a header declaring more than the file holds
            // fails after allocating at most what the file holds (chunks of CHUNK bytes).
            long n = e.end - e.begin;
            List<byte[]> chunks = new ArrayList<>();
            for (long pos = 0; pos < n; ) {
                byte[] chunk = in.readNBytes((int) Math.min(CHUNK, n - pos));
                pos += chunk.length;
                if (chunk.length == 0 || (pos < n && chunk.length < CHUNK)) {
                    throw new MalformedFileException(source, "truncated: the data of tensor '" + e.name
                            + "' ends at byte " + (e.begin + pos) + " of the data, expected " + e.end
                            + " (header promises " + expected + " data bytes)");
                }
                chunks.add(chunk);
            }
            Tensor t = torch.empty(e.shape, new TensorOptions(e.dtype.scalarType), null);
            if (n > 0) {
                BytePointer p = new BytePointer(t.data_ptr()).capacity(n);
                long pos = 0;
                for (byte[] chunk : chunks) {
                    p.position(pos).put(chunk, 0, chunk.length);
                    pos += chunk.length;
                }
            }
            tensors.put(e.name, t);
        }
        if (in.read() >= 0) {
            throw new MalformedFileException(source, "trailing bytes after the " + expected
                    + " data bytes the header describes");
        }
        return new SafeTensorsFile(tensors, metadata);
    }

    private static JsonNode parseHeader(byte[] headerBytes, String source) throws MalformedFileException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFileException(source, "not a safetensors file: header is not UTF-8", e);
        }
        if (!text.startsWith("{")) {
            throw new MalformedFileException(source, "not a safetensors file: header does not start with '{'");
        }
        JsonNode header;
        try {
            header = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new MalformedFileException(source, "invalid JSON header: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new MalformedFileException(source, "header is not a JSON object");
        }
        return header;
    }

    private static void readMetadata(JsonNode node, Map<String, String> into, String source)
            throws MalformedFileException {
        if (!node.isObject()) throw new MalformedFileException(source, METADATA + " is not a JSON object");
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new MalformedFileException(source, METADATA + " value of '" + m.getKey() + "' is not a string");
            }
            into.put(m.getKey(), m.getValue().textValue());
        }
    }

    /** One tensor's header entry, validated on its own (shape x dtype size equals the offset range). */
    private record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {
        static Entry parse(String name, JsonNode node, String source) throws MalformedFileException {
            String what = "tensor '" + name + "'";
            if (!node.isObject()) throw new MalformedFileException(source, what + ": entry is not a JSON object");
            JsonNode dtypeNode = node.get("dtype");
            JsonNode shapeNode = node.get("shape");
            JsonNode offsetsNode = node.get("data_offsets");
            if (dtypeNode == null || shapeNode == null || offsetsNode == null || node.size() != 3) {
                throw new MalformedFileException(source, what + ": entry must have exactly dtype, shape and"
                        + " data_offsets, has " + fieldNames(node));
            }
            if (!dtypeNode.isTextual()) throw new MalformedFileException(source, what + ": dtype is not a string");
            Dtype dtype;
            try {
                dtype = Dtype.valueOf(dtypeNode.textValue());
            } catch (IllegalArgumentException e) {
                throw new MalformedFileException(source, what + ": unsupported dtype '" + dtypeNode.textValue()
                        + "', expected one of " + Arrays.toString(Dtype.values()));
            }
            if (!shapeNode.isArray()) throw new MalformedFileException(source, what + ": shape is not an array");
            long[] shape = new long[shapeNode.size()];
            long bytes = dtype.bytes;
            try {
                for (int i = 0; i < shape.length; i++) {
                    JsonNode s = shapeNode.get(i);
                    if (!s.canConvertToExactIntegral() || !s.canConvertToLong() || s.longValue() < 0) {
                        throw new MalformedFileException(source, what + ": shape " + shapeNode
                                + " is not a list of non-negative integers");
                    }
                    shape[i] = s.longValue();
                    bytes = Math.multiplyExact(bytes, shape[i]);
                }
            } catch (ArithmeticException e) {
                throw new MalformedFileException(source, what + ": shape " + shapeNode + " overflows");
            }
            if (!offsetsNode.isArray() || offsetsNode.size() != 2
                    || !offsetsNode.get(0).canConvertToExactIntegral() || !offsetsNode.get(0).canConvertToLong()
                    || !offsetsNode.get(1).canConvertToExactIntegral() || !offsetsNode.get(1).canConvertToLong()) {
                throw new MalformedFileException(source, what + ": data_offsets " + offsetsNode
                        + " is not a pair of integers");
            }
            long begin = offsetsNode.get(0).longValue();
            long end = offsetsNode.get(1).longValue();
            if (begin < 0 || end < begin) {
                throw new MalformedFileException(source, what + ": data_offsets " + offsetsNode
                        + " is not a range [begin, end] with 0 <= begin <= end");
            }
            if (end - begin != bytes) {
                throw new MalformedFileException(source, what + ": shape " + shapeNode + " of " + dtype + " needs "
                        + bytes + " bytes but data_offsets " + offsetsNode + " span " + (end - begin));
            }
            return new Entry(name, dtype, shape, begin, end);
        }
    }

    private static String fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names.toString();
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x & 0xff));
        return s.toString();
    }

    private static void checkNativeOrder() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors I/O assumes a little-endian host");
        }
    }
}
