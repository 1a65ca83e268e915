package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.atdiff.io.MalformedFileException;
import org.atdiff.io.ParserFuzzing;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing of data-prep's file parsers with model-core's harness ({@link ParserFuzzing}, the same property and
 * bounds as {@code ParserFuzzTest}): IDX files (images and labels: header, length check, records), CIFAR-10 binary
 * batches (length, records) and the prepared dataset's {@code manifest.json}. Each has a seeded, bounded mutation run
 * in the normal suite and a Jazzer {@code @FuzzTest} replaying the committed corpus
 * ({@code src/test/resources/org/atdiff/prep/PrepParserFuzzTestInputs/<parser>/}), coverage-guided with
 * {@code JAZZER_FUZZ=1} (docs/reliability.md).
 */
class PrepParserFuzzTest {
    /** Mutants per parser in the normal suite (a few seconds each on two cores). */
    static final int MUTANTS = 20000;

    /** An IDX file as prep reads it: a labels file (one dimension) is scanned for its largest label. */
    static final ParserFuzzing.Parser IDX = (data, source) -> {
        if (data.length >= 4 && data[3] == 1) {
            IdxSource.Header h = IdxSource.labelsHeader(new ByteArrayInputStream(data), data.length, source);
            return IdxSource.maxLabel(new ByteArrayInputStream(data, h.headerBytes(), data.length), h, source);
        }
        IdxSource.Header h = IdxSource.imagesHeader(new ByteArrayInputStream(data), data.length, source);
        return IdxSource.records(new ByteArrayInputStream(data, h.headerBytes(), data.length), null, h,
                new RecordRange(source, null, 0, (int) h.count(), 0, DatasetSplit.TRAIN.configName()));
    };
    static final ParserFuzzing.Parser CIFAR10 = (data, source) -> Cifar10BinarySource.records(
            new ByteArrayInputStream(data),
            new RecordRange(source, null, 0, (int) Cifar10BinarySource.records(data.length, source), 0, DatasetSplit.TRAIN.configName()),
            10);
    static final ParserFuzzing.Parser MANIFEST = (data, source) -> Manifest.parse(data, source);

    @Test
    void idxMutants() throws IOException {
        ParserFuzzing.mutants(PrepParserFuzzTest.class, "idx", IDX, 5, MUTANTS);
    }

    @Test
    void cifar10Mutants() throws IOException {
        ParserFuzzing.mutants(PrepParserFuzzTest.class, "cifar10", CIFAR10, 6, MUTANTS);
    }

    @Test
    void manifestMutants() throws IOException {
        ParserFuzzing.mutants(PrepParserFuzzTest.class, "manifest", MANIFEST, 7, MUTANTS);
    }

    @Test
    void aManifestMissingAFieldIsMalformedNamingTheFileAndTheField() throws Exception {
        String json = Manifest.of(PrepSettingsBuilder.of("/in", "/out").imageSize(8).build(), InputFormat.FOLDER,
                java.util.List.of("a"), new DatasetSummary(3), 1).toJson();
        Manifest back = Manifest.parse(json.getBytes(), "data/manifest.json");
        assertEquals(json, back.toJson(), "round trip");
        String without = json.replaceFirst("\"rows\" : \\d+,", "");
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> Manifest.parse(without.getBytes(), "data/manifest.json"));
        assertEquals("data/manifest.json: field rows is missing", e.getMessage());
    }

    @FuzzTest(maxDuration = "10m")
    void idx(byte[] data) {
        ParserFuzzing.check(IDX, data);
    }

    @FuzzTest(maxDuration = "10m")
    void cifar10(byte[] data) {
        ParserFuzzing.check(CIFAR10, data);
    }

    @FuzzTest(maxDuration = "10m")
    void manifest(byte[] data) {
        ParserFuzzing.check(MANIFEST, data);
    }
}
