package org.atdiff.prep;

import java.io.Serializable;

/**
 * The outcome for one source image: a dataset row (pixels at the target shape, label, split), or a rejection
 * with its reason ({@code pixels == null}).
 */
public record PreparedImage(long id, int label, String labelName, String split, Pixels pixels, String source,
        String rejectReason) implements Serializable {

    public static PreparedImage rejected(long id, String source, String reason) {
        return new PreparedImage(id, -1, "", null, null, source, reason);
    }

    /** An image of an image set ({@link PreparedDataset#writeImageSet}): no label name, split "sample". */
    public static PreparedImage inImageSet(long id, int label, Pixels pixels, String source) {
        return new PreparedImage(id, label, "", PreparedDataset.IMAGE_SET_SPLIT, pixels, source, null);
    }

    public boolean isRejected() {
        return rejectReason != null;
    }
}
