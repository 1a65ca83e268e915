package org.atdiff.prep;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Counts, pixel moments and content checksum of a prepared dataset, computed per partition and merged; every
 * field is an exact integer sum or a set, so the result does not depend on partitioning or order.
 * The checksum is the sum (mod 2^128) of a per-row SHA-256 digest truncated to 128 bits, over the row's id,
 * label, label name, split, shape and pixels (not its source path, so moving the input keeps it).
 */
public final class DatasetSummary implements Serializable {
    /** How many rejected examples to keep (the smallest sources), for error messages. */
    static final int EXAMPLES = 5;

    private final int channels;
    long rows;
    long rejected;
    long pixelBytes;
    long minId = Long.MAX_VALUE;
    long maxId = Long.MIN_VALUE;
    final TreeMap<Integer, Long> labels = new TreeMap<>();
    final TreeMap<String, Long> splits = new TreeMap<>();
    final long[] sum;
    final long[] sumSquares;
    long checksumHigh;
    long checksumLow;
    final TreeSet<String> rejectedExamples = new TreeSet<>();

    public DatasetSummary(int channels) {
        this.channels = channels;
        this.sum = new long[channels];
        this.sumSquares = new long[channels];
    }

    public DatasetSummary add(PreparedImage p) {
        if (p.isRejected()) {
            rejected++;
            rejectedExamples.add(p.source() + ": " + p.rejectReason());
            if (rejectedExamples.size() > EXAMPLES) rejectedExamples.pollLast();
            return this;
        }
        rows++;
        minId = Math.min(minId, p.id());
        maxId = Math.max(maxId, p.id());
        labels.merge(p.label(), 1L, Long::sum);
        splits.merge(p.split(), 1L, Long::sum);
        Pixels px = p.pixels();
        byte[] b = px.chw();
        pixelBytes += b.length;
        int plane = px.height() * px.width();
        for (int c = 0; c < channels; c++) {
            long s = 0, sq = 0;
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                int v = b[i] & 0xFF;
                s += v;
                sq += v * v;
            }
            sum[c] += s;
            sumSquares[c] += sq;
        }
        ByteBuffer digest = ByteBuffer.wrap(digest(p));
        addChecksum(digest.getLong(), digest.getLong());
        return this;
    }

    public DatasetSummary merge(DatasetSummary o) {
        rows += o.rows;
        rejected += o.rejected;
        pixelBytes += o.pixelBytes;
        minId = Math.min(minId, o.minId);
        maxId = Math.max(maxId, o.maxId);
        o.labels.forEach((k, v) -> labels.merge(k, v, Long::sum));
        o.splits.forEach((k, v) -> splits.merge(k, v, Long::sum));
        for (int c = 0; c < channels; c++) {
            sum[c] += o.sum[c];
            sumSquares[c] += o.sumSquares[c];
        }
        addChecksum(o.checksumHigh, o.checksumLow);
        rejectedExamples.addAll(o.rejectedExamples);
        while (rejectedExamples.size() > EXAMPLES) rejectedExamples.pollLast();
        return this;
    }

    /** 128-bit addition of (high, low) to the checksum, mod 2^128. */
    private void addChecksum(long high, long low) {
        long sumLow = checksumLow + low;
        long carry = Long.compareUnsigned(sumLow, checksumLow) < 0 ? 1 : 0;
        checksumHigh += high + carry;
        checksumLow = sumLow;
    }

    public long rows() {
        return rows;
    }

    public long rejected() {
        return rejected;
    }

    public long pixelBytes() {
        return pixelBytes;
    }

    public long minId() {
        return minId;
    }

    public long maxId() {
        return maxId;
    }

    public TreeMap<Integer, Long> labels() {
        return labels;
    }

    public TreeMap<String, Long> splits() {
        return splits;
    }

    public List<String> rejectedExamples() {
        return new ArrayList<>(rejectedExamples);
    }

    /** Fraction of images rejected among all the source's images. */
    public double rejectedFraction() {
        return rows + rejected == 0 ? 0 : rejected / (double) (rows + rejected);
    }

    /** Per-channel pixel mean on the 0..255 scale. */
    public double[] mean() {
        double[] m = new double[channels];
        long n = pixelBytes / channels;
        for (int c = 0; c < channels; c++) m[c] = n == 0 ? 0 : sum[c] / (double) n;
        return m;
    }

    /** Per-channel population standard deviation on the 0..255 scale: sqrt(E[x^2] - E[x]^2). */
    public double[] std() {
        double[] s = new double[channels];
        long n = pixelBytes / channels;
        for (int c = 0; c < channels; c++) {
            if (n == 0) continue;
            double mean = sum[c] / (double) n;
            s[c] = Math.sqrt(Math.max(0, sumSquares[c] / (double) n - mean * mean));
        }
        return s;
    }

    /** The content checksum as 32 hex digits. */
    public String checksum() {
        return String.format("%016x%016x", checksumHigh, checksumLow);
    }

    private static byte[] digest(PreparedImage p) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            Pixels px = p.pixels();
            ByteBuffer head = ByteBuffer.allocate(8 + 4 * 4);
            head.putLong(p.id()).putInt(p.label()).putInt(px.channels()).putInt(px.height()).putInt(px.width());
            md.update(head.array());
            md.update((p.labelName() + '\0' + p.split() + '\0').getBytes(StandardCharsets.UTF_8));
            md.update(px.chw());
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
