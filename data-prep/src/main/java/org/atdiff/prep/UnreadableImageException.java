package org.atdiff.prep;

/** An image that cannot be decoded; the message is the reason recorded in {@code rejected/}. */
public final class UnreadableImageException extends Exception {
    public UnreadableImageException(String reason) {
        super(reason);
    }
}
