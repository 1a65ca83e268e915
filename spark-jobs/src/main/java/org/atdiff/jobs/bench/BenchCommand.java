package org.atdiff.jobs.bench;

import com.typesafe.config.Config;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.EngineSetup;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.tensor.EngineThreads;

/**
 * {@code atdiff bench}: measures what the project claims about speed and prints one table per section (also written
 * as {@code output.path}/bench.json): the sections of {@link BenchRunner#SECTIONS}, selected by {@code bench.sections}.
 */
public final class BenchCommand implements Command {
    @Override
    public String summary() {
        return "benchmark training, all-reduce, sampling and FID statistics; writes output.path/bench.json";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        BenchSettings s = BenchSettings.fromConfig(config);
        EngineThreads.use(s.threads());
        EngineSetup.configure(config, System.out);
        BenchRunner.run(s, config);
        return CommandResult.wrote("bench", List.of(new Path(s.output(), "bench.json")));
    }

    @Override
    public void readSettings(SettingsReader r) {
        BenchSettings.read(r);
        r.string("engine.conv-path");
    }
}
