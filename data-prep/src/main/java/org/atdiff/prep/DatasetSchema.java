package org.atdiff.prep;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet schema of a prepared dataset ({@code <output.path>/data/}, see {@link PreparedDataset}), one row per
 * image, and of its rejection records ({@code <output.path>/rejected/}). {@code pixels} holds {@code channels x height x width}
 * uint8 values in CHW order.
 */
public final class DatasetSchema {
    public static final String ID = "id";
    public static final String LABEL = "label";
    public static final String LABEL_NAME = "label_name";
    public static final String SPLIT = "split";
    public static final String HEIGHT = "height";
    public static final String WIDTH = "width";
    public static final String CHANNELS = "channels";
    public static final String PIXELS = "pixels";
    public static final String SOURCE = "source";
    public static final String REASON = "reason";

    public static final StructType ROWS = new StructType(new StructField[] {
        DataTypes.createStructField(ID, DataTypes.LongType, false),
        DataTypes.createStructField(LABEL, DataTypes.IntegerType, false),
        DataTypes.createStructField(LABEL_NAME, DataTypes.StringType, false),
        DataTypes.createStructField(SPLIT, DataTypes.StringType, false),
        DataTypes.createStructField(HEIGHT, DataTypes.IntegerType, false),
        DataTypes.createStructField(WIDTH, DataTypes.IntegerType, false),
        DataTypes.createStructField(CHANNELS, DataTypes.IntegerType, false),
        DataTypes.createStructField(PIXELS, DataTypes.BinaryType, false),
        DataTypes.createStructField(SOURCE, DataTypes.StringType, false),
    });

    public static final StructType REJECTED = new StructType(new StructField[] {
        DataTypes.createStructField(ID, DataTypes.LongType, false),
        DataTypes.createStructField(SOURCE, DataTypes.StringType, false),
        DataTypes.createStructField(REASON, DataTypes.StringType, false),
    });

    private DatasetSchema() {}

    public static Row toRow(PreparedImage p) {
        Pixels px = p.pixels();
        return RowFactory.create(p.id(), p.label(), p.labelName(), p.split(), px.height(), px.width(), px.channels(),
                px.chw(), p.source());
    }

    public static Row toRejectedRow(PreparedImage p) {
        return RowFactory.create(p.id(), p.source(), p.rejectReason());
    }
}
