package org.atdiff.io;

import java.io.IOException;

/** A file that does not follow the format it is read as; the message names the file (the source) and the fault. */
public class MalformedFileException extends IOException {
    public MalformedFileException(String source, String fault) {
        super(source + ": " + fault);
    }

    public MalformedFileException(String source, String fault, Throwable cause) {
        super(source + ": " + fault, cause);
    }
}
