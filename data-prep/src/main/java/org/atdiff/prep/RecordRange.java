package org.atdiff.prep;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A run of fixed-size records in one file, read by one task: records {@code first .. first+count-1} of
 * {@code file}, whose ids start at {@code firstId}.
 *
 * @param file       Hadoop path of the records
 * @param labelsFile Hadoop path of a parallel labels file, or null
 * @param split      the file's own split, or null
 */
record RecordRange(String file, String labelsFile, long first, int count, long firstId, String split)
        implements Serializable {

    /** {@code records} records of one file cut into runs of at most {@code chunk}. */
    static List<RecordRange> cut(String file, String labelsFile, long records, long firstId, String split, int chunk) {
        List<RecordRange> out = new ArrayList<>();
        for (long first = 0; first < records; first += chunk) {
            int count = (int) Math.min(chunk, records - first);
            out.add(new RecordRange(file, labelsFile, first, count, firstId + first, split));
        }
        return out;
    }

    /** Records per task so that {@code total} records make about {@code partitions} tasks of at most 10,000 records. */
    static int chunkSize(long total, int partitions) {
        return (int) Math.max(1, Math.min(10_000, (total + partitions - 1) / partitions));
    }
}
