package org.atdiff.prep;

import java.util.List;
import org.apache.spark.api.java.function.Function;

/**
 * Turns a {@link SourceRecord} into a {@link PreparedImage}: decodes it if encoded, fits it to the target shape,
 * names its label and gives it the source's split or the deterministic {@link TrainTestSplit}.
 * Unreadable images become rejections.
 */
final class RecordPreparer implements Function<SourceRecord, PreparedImage> {
    private final ImageResizer resizer;
    private final String[] labelNames;
    private final double testFraction;
    private final long splitSeed;

    RecordPreparer(ImageResizer resizer, List<String> labelNames, double testFraction, long splitSeed) {
        this.resizer = resizer;
        this.labelNames = labelNames.toArray(new String[0]);
        this.testFraction = testFraction;
        this.splitSeed = splitSeed;
    }

    @Override
    public PreparedImage call(SourceRecord r) {
        if (r.error() != null) return PreparedImage.rejected(r.id(), r.source(), r.error());
        Pixels pixels;
        try {
            pixels = r.pixels() != null ? r.pixels() : ImageDecoder.decode(r.encoded());
        } catch (UnreadableImageException e) {
            return PreparedImage.rejected(r.id(), r.source(), e.getMessage());
        }
        String name = r.label() >= 0 && r.label() < labelNames.length ? labelNames[r.label()] : "";
        String split = r.split() != null ? r.split() : TrainTestSplit.of(r.id(), testFraction, splitSeed);
        return new PreparedImage(r.id(), r.label(), name, split, resizer.fit(pixels), r.source(), null);
    }
}
