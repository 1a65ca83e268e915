package org.atdiff.jobs.bench;

import com.typesafe.config.Config;
import org.atdiff.jobs.Atdiff;
import org.atdiff.jobs.EngineSetup;
import org.atdiff.tensor.EngineThreads;

/**
 * {@code atdiff bench}: measures what the project claims about speed and prints one table per section (also written
 * as {@code output.path}/bench.json): the sections of {@link BenchRunner#SECTIONS}, selected by {@code bench.sections}.
 */
public final class BenchCommand implements Atdiff.Command {
    @Override
    public String summary() {
        return "benchmark training, all-reduce, sampling and FID statistics; writes output.path/bench.json";
    }

    @Override
    public void run(Config config, String master) throws Exception {
        BenchSettings s = BenchSettings.fromConfig(config);
        EngineThreads.use(s.threads());
        EngineSetup.configure(config, System.out);
        BenchRunner.run(s, config);
    }
}
