package org.atdiff.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The property every file parser must keep, and a seeded mutation fuzzer that checks it over the committed corpus.
 * Property: any input yields a value or a {@link MalformedFileException} whose message names the file; no other
 * exception or error; at most {@code 64 x size + 4 MiB} of Java heap allocated while parsing (sizes declared in a
 * file are checked before anything of that size is allocated); no hang. Coverage-guided runs of the same property
 * use Jazzer ({@link ParserFuzzTest}).
 */
final class ParserFuzzing {
    /** A parser under test: the file's bytes and the name it reports them under. */
    interface Parser {
        Object parse(byte[] data, String source) throws IOException;
    }

    static final String SOURCE = "fuzzed-input.bin";
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ParserFuzzing() {}

    /** Heap a parse of {@code size} bytes may allocate. */
    static long allocationBound(long size) {
        return 64 * size + (4L << 20);
    }

    /**
     * Parses {@code data} and checks the property; returns whether it parsed. An allocation over the bound is
     * measured once more (the first parse of a JVM also loads classes and libtorch).
     */
    static boolean check(Parser parser, byte[] data) {
        try {
            return checkOnce(parser, data);
        } catch (AllocationExceeded first) {
            return checkOnce(parser, data);
        }
    }

    private static final class AllocationExceeded extends AssertionError {
        AllocationExceeded(String message) {
            super(message);
        }
    }

    private static boolean checkOnce(Parser parser, byte[] data) {
        long tid = Thread.currentThread().getId();
        long before = THREADS.getThreadAllocatedBytes(tid);
        boolean parsed;
        try {
            parser.parse(data, SOURCE);
            parsed = true;
        } catch (MalformedFileException e) {
            assertTrue(e.getMessage().contains(SOURCE), () -> "the error does not name the file: " + e.getMessage());
            parsed = false;
        } catch (Throwable t) {
            throw new AssertionError("input " + hex(data) + " threw " + t, t);
        }
        long allocated = THREADS.getThreadAllocatedBytes(tid) - before;
        if (allocated > allocationBound(data.length)) {
            throw new AllocationExceeded("input of " + data.length + " bytes allocated " + allocated + " bytes: " + hex(data));
        }
        return parsed;
    }

    /** The corpus files of one parser (a folder of the test resources, Jazzer's layout). */
    static List<byte[]> corpus(String parser) throws IOException {
        Path dir;
        try {
            dir = Paths.get(ParserFuzzing.class.getResource("ParserFuzzTestInputs/" + parser).toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        List<byte[]> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) files.add(Files.readAllBytes(p));
        }
        return files;
    }

    /** Outcome of a fuzzing run. */
    record Run(long executions, long parsed) {}

    /**
     * Checks every corpus file, then {@code iterations} mutants drawn from the corpus with {@code seed} (1 to 4
     * stacked mutations each: bit flips, interesting bytes and integers, ASCII digits, truncation, insertion,
     * deletion, duplication, splicing with another file). Deterministic for a seed.
     */
    static Run fuzz(Parser parser, List<byte[]> corpus, long seed, int iterations) {
        long parsed = 0;
        for (byte[] c : corpus) if (check(parser, c)) parsed++;
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < iterations; i++) {
            byte[] x = corpus.get(rng.nextInt(corpus.size())).clone();
            int stacked = 1 + rng.nextInt(4);
            for (int m = 0; m < stacked; m++) x = mutate(x, corpus, rng);
            if (check(parser, x)) parsed++;
        }
        return new Run(corpus.size() + (long) iterations, parsed);
    }

    private static final long[] INTERESTING = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, Integer.MAX_VALUE,
        Integer.MIN_VALUE, 0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};

    static byte[] mutate(byte[] x, List<byte[]> corpus, SplittableRandom rng) {
        int n = x.length;
        switch (rng.nextInt(9)) {
            case 0 -> { // flip a bit
                if (n > 0) x[rng.nextInt(n)] ^= (byte) (1 << rng.nextInt(8));
            }
            case 1 -> { // an interesting integer, little or big endian, 1/2/4/8 bytes
                if (n > 0) {
                    int width = 1 << rng.nextInt(4);
                    long v = INTERESTING[rng.nextInt(INTERESTING.length)];
                    int at = rng.nextInt(n);
                    boolean little = rng.nextBoolean();
                    for (int b = 0; b < width && at + b < n; b++) {
                        int shift = 8 * (little ? b : width - 1 - b);
                        x[at + b] = (byte) (v >>> shift);
                    }
                }
            }
            case 2 -> { // ASCII digits (numbers in JSON and .npy headers)
                if (n > 0) {
                    int at = rng.nextInt(n);
                    int len = 1 + rng.nextInt(20);
                    for (int b = 0; b < len && at + b < n; b++) x[at + b] = (byte) ('0' + rng.nextInt(10));
                }
            }
            case 3 -> x = java.util.Arrays.copyOf(x, n == 0 ? 0 : rng.nextInt(n)); // truncate
            case 4 -> { // insert random bytes
                int at = n == 0 ? 0 : rng.nextInt(n + 1);
                byte[] ins = new byte[1 + rng.nextInt(16)];
                for (int b = 0; b < ins.length; b++) ins[b] = (byte) rng.nextInt(256);
                x = splice(x, at, at, ins);
            }
            case 5 -> { // delete a range
                if (n > 0) {
                    int at = rng.nextInt(n);
                    x = splice(x, at, Math.min(n, at + 1 + rng.nextInt(16)), new byte[0]);
                }
            }
            case 6 -> { // duplicate a range
                if (n > 0) {
                    int at = rng.nextInt(n);
                    int end = Math.min(n, at + 1 + rng.nextInt(64));
                    x = splice(x, end, end, java.util.Arrays.copyOfRange(x, at, end));
                }
            }
            case 7 -> { // splice: head of this, tail of another corpus file
                byte[] other = corpus.get(rng.nextInt(corpus.size()));
                int cut = n == 0 ? 0 : rng.nextInt(n);
                int from = other.length == 0 ? 0 : rng.nextInt(other.length);
                x = splice(java.util.Arrays.copyOf(x, cut), cut, cut, java.util.Arrays.copyOfRange(other, from, other.length));
            }
            default -> { // a random byte
                if (n > 0) x[rng.nextInt(n)] = (byte) rng.nextInt(256);
            }
        }
        return x;
    }

    private static byte[] splice(byte[] x, int from, int to, byte[] ins) {
        byte[] out = new byte[x.length - (to - from) + ins.length];
        System.arraycopy(x, 0, out, 0, from);
        System.arraycopy(ins, 0, out, from, ins.length);
        System.arraycopy(x, to, out, from + ins.length, x.length - to);
        return out;
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 512); i++) s.append(String.format("%02x", b[i] & 0xff));
        return s + (b.length > 512 ? "... (" + b.length + " bytes)" : "");
    }
}
