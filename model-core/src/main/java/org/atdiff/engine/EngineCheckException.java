package org.atdiff.engine;

/** The engine self-check found no convolution path that computes correctly here (or the one requested cannot run). */
public final class EngineCheckException extends IllegalStateException {
    public EngineCheckException(String message) {
        super(message);
    }
}
