package org.atdiff.prep;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The generated datasets {@code builtin:shapes} and {@code builtin:white-shapes} ({@link ShapesDataset}):
 * {@code input.builtin-count} images rendered at {@code image.size}, split into index ranges rendered in parallel;
 * image i has id i.
 */
final class BuiltinShapesSource implements ImageSource {
    static final String SHAPES = InputFormat.BUILTIN_PREFIX + "shapes";
    static final String WHITE_SHAPES = InputFormat.BUILTIN_PREFIX + "white-shapes";

    @Override
    public SourceImages read(SparkSession spark, PrepSettings s) {
        ShapesDataset.Palette palette = switch (s.inputPath()) {
            case SHAPES -> ShapesDataset.Palette.COLOURED;
            case WHITE_SHAPES -> ShapesDataset.Palette.WHITE_ON_BLACK;
            default -> throw new IllegalArgumentException("input " + s.inputPath() + ": unknown builtin dataset (known: "
                    + SHAPES + ", " + WHITE_SHAPES + ")");
        };
        String name = s.inputPath();
        if (s.imageSize() < ShapesDataset.MIN_SIZE) {
            throw new IllegalArgumentException("input " + s.inputPath() + " needs image.size >= " + ShapesDataset.MIN_SIZE);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int partitions = s.partitions() > 0 ? s.partitions() : jsc.defaultParallelism();
        long n = s.builtinCount();
        int chunk = RecordRange.chunkSize(n, partitions);
        List<long[]> ranges = new ArrayList<>();
        for (long first = 0; first < n; first += chunk) ranges.add(new long[] {first, Math.min(n, first + chunk)});
        int size = s.imageSize();
        long seed = s.builtinSeed();
        JavaRDD<SourceRecord> records = jsc.parallelize(ranges, ranges.size()).flatMap(r -> {
            List<SourceRecord> out = new ArrayList<>((int) (r[1] - r[0]));
            for (long i = r[0]; i < r[1]; i++) {
                ShapesDataset.Sample sample = ShapesDataset.render(i, size, seed, palette);
                out.add(SourceRecord.raw(i, sample.label(), name + "#" + i, null, sample.pixels()));
            }
            return out.iterator();
        });
        return new SourceImages(records, ShapesDataset.LABEL_NAMES);
    }
}
