package org.atdiff.prep;

import java.io.Serializable;
import org.apache.spark.sql.Row;

/**
 * One image of a prepared dataset or a sample set as the jobs use it: its id, its label (-1 = none) and its pixels
 * (uint8, CHW). {@link PreparedDataset} converts the Parquet rows; {@link #requireShape} is the shape check every
 * consumer runs, naming the image.
 */
public record DatasetImage(long id, int label, Pixels pixels) implements Serializable {

    /** The image of a row in the {@link DatasetSchema#ROWS} schema (any subset holding id, label and the shape). */
    public static DatasetImage of(Row row) {
        long id = row.getLong(row.fieldIndex(DatasetSchema.ID));
        int c = row.getInt(row.fieldIndex(DatasetSchema.CHANNELS)), h = row.getInt(row.fieldIndex(DatasetSchema.HEIGHT)),
                w = row.getInt(row.fieldIndex(DatasetSchema.WIDTH));
        byte[] chw = (byte[]) row.get(row.fieldIndex(DatasetSchema.PIXELS));
        if (chw == null || chw.length != (long) c * h * w) {
            throw new IllegalArgumentException("image " + id + " has " + (chw == null ? 0 : chw.length)
                    + " pixel bytes, not channels x height x width = " + c + "x" + h + "x" + w);
        }
        return new DatasetImage(id, row.getInt(row.fieldIndex(DatasetSchema.LABEL)), new Pixels(c, h, w, chw));
    }

    /**
     * This image if it is {@code channels x height x width}, else an error naming the image and what needs that shape
     * ({@code needs}, e.g. "the model takes").
     */
    public DatasetImage requireShape(int channels, int height, int width, String needs) {
        if (pixels.channels() != channels || pixels.height() != height || pixels.width() != width) {
            throw new IllegalArgumentException("image " + id + " is " + shape() + " but " + needs + " " + channels + "x"
                    + height + "x" + width);
        }
        return this;
    }

    /** channels x height x width, e.g. "3x32x32". */
    public String shape() {
        return pixels.channels() + "x" + pixels.height() + "x" + pixels.width();
    }
}
