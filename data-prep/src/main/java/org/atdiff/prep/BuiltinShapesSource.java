package org.atdiff.prep;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The generated dataset {@code builtin:shapes} ({@link ShapesDataset}): {@code input.builtin-count} images
 * rendered at {@code image.size}, split into index ranges rendered in parallel; image i has id i.
 */
final class BuiltinShapesSource implements ImageSource {
    static final String SHAPES = InputFormat.BUILTIN_PREFIX + "shapes";

    @Override
    public SourceImages read(SparkSession spark, PrepSettings s) {
        if (!s.inputPath().equals(SHAPES)) {
            throw new IllegalArgumentException("input " + s.inputPath() + ": unknown builtin dataset (known: " + SHAPES + ")");
        }
        if (s.imageSize() < ShapesDataset.MIN_SIZE) {
            throw new IllegalArgumentException("input " + SHAPES + " needs image.size >= " + ShapesDataset.MIN_SIZE);
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
                ShapesDataset.Sample sample = ShapesDataset.render(i, size, seed);
                out.add(SourceRecord.raw(i, sample.label(), SHAPES + "#" + i, null, sample.pixels()));
            }
            return out.iterator();
        });
        return new SourceImages(records, ShapesDataset.LABEL_NAMES);
    }
}
