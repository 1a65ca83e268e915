package org.atdiff.jobs;

import com.typesafe.config.Config;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.train.DistributedTrainer;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunLease;
import org.atdiff.jobs.train.TrainSettings;

/**
 * {@code atdiff train}: data-parallel training of the configured model on the dataset at {@code data.path}
 * ({@link DistributedTrainer}), resuming from {@code run.dir}'s latest checkpoint when there is one. Also a main for
 * {@code spark-submit --class org.atdiff.jobs.TrainJob}. Holds {@code run.dir}'s {@link RunLease} while it runs.
 */
public final class TrainJob implements Command {
    @Override
    public String summary() {
        return "train the model data-parallel on data.path (plain / ip / at), checkpoints and metrics in run.dir";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        Configuration hadoop = new Configuration();
        DistributedTrainer trainer = DistributedTrainer.prepare(config, hadoop); // fails before Spark starts
        try (RunLease lease = RunLease.acquire("run.dir", trainer.settings().runDir(), "train",
                LeaseSettings.fromConfig(config), hadoop)) {
            lease.attach(session);
            DistributedTrainer.Outcome o = trainer.run(session.spark(), System.out);
            CommandResult r = CommandResult.wrote("train", List.of(o.checkpoint())).withLastMetrics(o.lastMetrics());
            return trainer.startStep() >= trainer.settings().steps() ? r.asReused() : r;
        }
    }

    @Override
    public void readSettings(SettingsReader r) {
        TrainSettings.read(r);
        LeaseSettings.read(r);
        // model.* is checked on the prepared dataset's image shape, once DistributedTrainer.prepare has opened it
        SparkSessions.readSettings(r);
    }

    @Override
    public String target(Config config) {
        return config.getString("run.dir");
    }

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "train";
        System.arraycopy(args, 0, all, 1, args.length);
        Atdiff.main(all);
    }
}
