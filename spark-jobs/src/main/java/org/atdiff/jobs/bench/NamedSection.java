package org.atdiff.jobs.bench;

/** A section whose name and use of the PyTorch reference are given at construction. */
abstract class NamedSection implements BenchSection {
    private final String name;
    private final boolean usesPython;

    NamedSection(String name, boolean usesPython) {
        this.name = name;
        this.usesPython = usesPython;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean usesPython() {
        return usesPython;
    }
}
