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

    public boolean isRejected() {
        return rejectReason != null;
    }
}
