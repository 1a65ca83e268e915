package org.atdiff.jobs.train;

import java.io.IOException;
import java.util.Optional;

/**
 * Fault injection for tests of recovery: a file {@value #FILE} in the run directory holding {@code rank step attempt}
 * makes that rank throw right after completing that step in that attempt, as an executor failure would interrupt it.
 * Read once per attempt; absent in normal runs. A file reaches executors of any cluster, unlike a system property.
 */
public record FailureInjection(int rank, long step, int attempt) {
    public static final String FILE = "inject-failure";

    public static Optional<FailureInjection> read(RunDirectory run) throws IOException {
        Optional<String> text = run.readText(FILE);
        if (text.isEmpty()) return Optional.empty();
        String[] f = text.get().trim().split("\\s+");
        if (f.length != 3) throw new IllegalArgumentException(FILE + " must hold 'rank step attempt': " + text.get());
        return Optional.of(new FailureInjection(Integer.parseInt(f[0]), Long.parseLong(f[1]), Integer.parseInt(f[2])));
    }

    public String text() {
        return rank + " " + step + " " + attempt;
    }

    void maybeFail(int rank, long step, int attempt) {
        if (rank == this.rank && step == this.step && attempt == this.attempt) {
            throw new IllegalStateException("injected failure of rank " + rank + " after step " + step
                    + " in attempt " + attempt);
        }
    }
}
