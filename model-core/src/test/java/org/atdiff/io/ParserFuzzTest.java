package org.atdiff.io;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing of the model-core file parsers: safetensors, .npy, .npz and atdiff checkpoints (the safetensors JSON
 * header and the checkpoint metadata). Each parser has a seeded, bounded mutation run in the normal suite (the
 * {@code *Mutants} tests) and a Jazzer {@code @FuzzTest}, which replays the committed corpus
 * ({@code src/test/resources/org/atdiff/io/ParserFuzzTestInputs/<parser>/}, valid files, invalid files and every
 * regression input) in the normal suite and fuzzes coverage-guided with {@code JAZZER_FUZZ=1} (docs/reliability.md).
 */
class ParserFuzzTest {
    /** Mutants per parser in the normal suite (2 to 6 seconds each on two cores). */
    static final int MUTANTS = 20000;

    static final ParserFuzzing.Parser SAFETENSORS = (data, source) -> {
        try (PointerScope scope = new PointerScope()) {
            return SafeTensors.read(data, source).tensors().size();
        }
    };
    static final ParserFuzzing.Parser NPY = (data, source) -> Npy.read(new ByteArrayInputStream(data), source);
    static final ParserFuzzing.Parser NPZ = (data, source) -> Npz.read(new ByteArrayInputStream(data), source);
    static final ParserFuzzing.Parser CHECKPOINT = (data, source) -> {
        try (PointerScope scope = new PointerScope()) {
            return Checkpoint.load(new ByteArrayInputStream(data), source).step();
        }
    };

    private static void mutants(String name, ParserFuzzing.Parser parser, long seed) throws IOException {
        var corpus = ParserFuzzing.corpus(name);
        ParserFuzzing.Run run = ParserFuzzing.fuzz(parser, corpus, seed, MUTANTS);
        System.out.printf("fuzz %s: %d corpus files, %d executions, %d parsed%n", name, corpus.size(), run.executions(),
                run.parsed());
        assertTrue(run.parsed() > corpus.size() / 3, "the corpus's valid files parse");
    }

    @Test
    void safetensorsMutants() throws IOException {
        mutants("safetensors", SAFETENSORS, 1);
    }

    @Test
    void npyMutants() throws IOException {
        mutants("npy", NPY, 2);
    }

    @Test
    void npzMutants() throws IOException {
        mutants("npz", NPZ, 3);
    }

    @Test
    void checkpointMutants() throws IOException {
        mutants("checkpoint", CHECKPOINT, 4);
    }

    @FuzzTest(maxDuration = "10m")
    void safetensors(byte[] data) {
        ParserFuzzing.check(SAFETENSORS, data);
    }

    @FuzzTest(maxDuration = "10m")
    void npy(byte[] data) {
        ParserFuzzing.check(NPY, data);
    }

    @FuzzTest(maxDuration = "10m")
    void npz(byte[] data) {
        ParserFuzzing.check(NPZ, data);
    }

    @FuzzTest(maxDuration = "10m")
    void checkpoint(byte[] data) {
        ParserFuzzing.check(CHECKPOINT, data);
    }
}
