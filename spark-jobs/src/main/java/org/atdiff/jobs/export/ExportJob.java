package org.atdiff.jobs.export;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.command.SparkSessions;
import org.atdiff.jobs.command.StepFingerprint;
import org.atdiff.jobs.train.LeaseSettings;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.jobs.train.RunLease;

/**
 * {@code atdiff export}: with {@code export.what=samples}, every sample set under {@code samples.path} as a folder of
 * PNGs and an .npz of uint8 images ({@link SampleExport}); with {@code export.what=weights}, the EMA weights of
 * {@code export.checkpoint} or of {@code run.dir}'s latest checkpoint as a standalone safetensors file
 * ({@link WeightsExport}, no Spark session). Holds the {@link RunLease} of the folder it writes to.
 */
public final class ExportJob implements Command {
    public static final List<String> WHAT = List.of("samples", "weights");

    @Override
    public String summary() {
        return "sample sets -> PNG folders + .npz (uint8 arr_0); or EMA weights -> .safetensors (export.what)";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        String what = config.getString("export.what");
        if (!WHAT.contains(what)) {
            throw new IllegalArgumentException("export.what must be one of " + WHAT + " but is '" + what + "'");
        }
        String out = config.getString("output.path");
        boolean overwrite = config.getBoolean("output.overwrite");
        Configuration hadoop = new Configuration();
        String leased = what.equals("weights") ? WeightsExport.file(out).getParent().toString() : out;
        try (RunLease lease = RunLease.acquire("output.path", leased, "export", LeaseSettings.fromConfig(config), hadoop)) {
            if (what.equals("weights")) {
                Path checkpoint = RunDirectory.checkpointToRead("export.checkpoint", config.getString("export.checkpoint"),
                        config.getString("run.dir"), hadoop);
                Path file = WeightsExport.file(out);
                StepFingerprint step = StepFingerprint.of("export", config, List.of("export"),
                        Map.of("checkpoint", checkpoint.toString()), hadoop);
                Path marker = StepFingerprint.beside(file);
                if (step.alreadyDone(marker, "output.path", file, overwrite, hadoop)) {
                    return CommandResult.wrote("export", List.of(file)).asReused();
                }
                WeightsExport.Exported e = WeightsExport.run(checkpoint, WeightsExport.file(out), overwrite, hadoop);
                System.out.printf("export: EMA weights of %s (step %d, %s, %d tensors) -> %s%n", e.checkpoint(),
                        e.step(), e.objective(), e.tensors(), e.file());
                step.commit(marker, hadoop);
                return CommandResult.wrote("export", List.of(e.file()));
            }
            StepFingerprint step = StepFingerprint.of("export", config, List.of("export"),
                    Map.of("samples.path", config.getString("samples.path")), hadoop);
            Path marker = StepFingerprint.inFolder(new Path(out));
            if (step.alreadyDone(marker, "output.path", new Path(out), overwrite, hadoop)) {
                return CommandResult.wrote("export", List.of(out)).asReused();
            }
            lease.attach(session);
            List<Path> written = new ArrayList<>();
            for (SampleExport.Exported e : SampleExport.run(session.spark(), config.getString("samples.path"), out,
                    overwrite)) {
                System.out.printf("export: %-24s %d images %dx%dx%d -> %s/ and %s%n", e.set(), e.count(),
                        e.height(), e.width(), e.channels(), e.pngFolder(), e.npz());
                written.add(e.pngFolder());
                written.add(e.npz());
            }
            step.commit(marker, hadoop);
            return CommandResult.wrote("export", written);
        }
    }

    @Override
    public void readSettings(SettingsReader r) {
        r.oneOf("export.what", List.of("samples", "weights"));
        r.string("export.checkpoint");
        r.string("run.dir");
        r.string("samples.path");
        r.nonEmpty("output.path");
        r.bool("output.overwrite");
        LeaseSettings.read(r);
        SparkSessions.readSettings(r);
    }
}
