package org.atdiff.jobs.bench;

/**
 * One section of {@code atdiff bench} ({@code bench.sections}): it measures one claim and adds its tables to the
 * {@link BenchContext}. Nothing is asserted: the figures are the result.
 */
interface BenchSection {
    /** The name {@code bench.sections} selects it by. */
    String name();

    /** True when it compares with the PyTorch reference (the runner starts one only when a selected section does). */
    default boolean usesPython() {
        return false;
    }

    void run(BenchContext context) throws Exception;
}
