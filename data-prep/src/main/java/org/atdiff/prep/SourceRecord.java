package org.atdiff.prep;

import java.io.Serializable;

/**
 * One image as a source read it, before decoding and resizing: either encoded bytes (a PNG, a JPEG, ...), raw
 * {@link Pixels}, or the reason it could not be read at all.
 *
 * @param id      stable identifier, independent of partitioning
 * @param label   class index, -1 when absent
 * @param source  where it came from: a file, or a file and record number
 * @param split   the source's own split (train/test), or null when the source has none
 * @param encoded encoded image bytes, or null
 * @param pixels  raw pixels, or null
 * @param error   why the image could not be read, or null
 */
public record SourceRecord(long id, int label, String source, String split, byte[] encoded, Pixels pixels, String error)
        implements Serializable {

    public static SourceRecord encoded(long id, int label, String source, String split, byte[] bytes) {
        return new SourceRecord(id, label, source, split, bytes, null, null);
    }

    public static SourceRecord raw(long id, int label, String source, String split, Pixels pixels) {
        return new SourceRecord(id, label, source, split, null, pixels, null);
    }

    public static SourceRecord unreadable(long id, String source, String reason) {
        return new SourceRecord(id, -1, source, null, null, null, reason);
    }
}
