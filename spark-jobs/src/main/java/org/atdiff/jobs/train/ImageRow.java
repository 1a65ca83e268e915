package org.atdiff.jobs.train;

import java.io.Serializable;
import org.atdiff.prep.DatasetImage;

/**
 * One training image as it travels from the prepared dataset to a worker, under its key. The key is the image's id
 * (the global sort key) with replicated placement; after a sharded placement's routing ({@link ShardRouting}) it is
 * the global sample number the image fills.
 */
public record ImageRow(long key, DatasetImage image) implements Serializable {
    /** The image under its own id. */
    public static ImageRow byId(DatasetImage image) {
        return new ImageRow(image.id(), image);
    }
}
