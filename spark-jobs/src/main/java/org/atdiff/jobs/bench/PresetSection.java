package org.atdiff.jobs.bench;

import org.atdiff.nn.UNetConfig;

/**
 * A section compared with the PyTorch reference that measures each of {@code bench.presets} in turn, into one table
 * "{@code <name> <preset>}" each.
 */
abstract class PresetSection extends NamedSection {
    private final String[] columns;

    PresetSection(String name, String... columns) {
        super(name, true);
        this.columns = columns;
    }

    @Override
    public void run(BenchContext c) throws Exception {
        for (String preset : c.settings().presets()) {
            BenchTable t = c.table(name() + " " + preset, columns);
            run(c, c.settings(), t, preset, UNetConfig.preset(preset, c.settings().imageSize(), 3));
            t.print(System.out);
        }
    }

    /** Measures {@code preset} (its network: {@code config}) into {@code t}. */
    abstract void run(BenchContext c, BenchSettings s, BenchTable t, String preset, UNetConfig config) throws Exception;
}
