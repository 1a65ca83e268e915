package org.atdiff.jobs.report;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.SettingsReader;

/**
 * {@code atdiff compare}: the scores of several trainings side by side over sampling seeds ({@link ScoreComparison}),
 * from {@code compare.scores} and {@code compare.runs} to {@code output.path}, and with {@code compare.paired.control}
 * set the paired differences of treatments against that control ({@link PairedDifferences}: paired.json, paired.md,
 * paired-&lt;treatment&gt;.png);
 * the eps-MSE files of {@code compare.eps-mse} side by side ({@link EpsMseComparison}: eps-mse.md, eps-mse.json); and
 * one run's scores at several training steps from {@code compare.progress} ({@link TrainingProgress}: progress.md,
 * progress.png).
 * Runs on the driver alone (no Spark job).
 */
public final class CompareJob implements Command {
    @Override
    public String summary() {
        return "fid.json files of several runs and seeds -> summary.md/json, score and loss plots";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        String scores = config.getString("compare.scores"), epsMse = config.getString("compare.eps-mse");
        String progress = config.getString("compare.progress");
        if (scores.isBlank() && epsMse.isBlank() && progress.isBlank()) {
            throw new IllegalArgumentException("compare.scores, compare.eps-mse and compare.progress are all empty: name "
                    + "a folder of fid.json files, of eps-mse.json files, of step-<N> score folders, or several");
        }
        Path out = new Path(config.getString("output.path"));
        Configuration hadoop = new Configuration();
        String control = config.getString("compare.paired.control");
        List<String> treatments = config.getStringList("compare.paired.treatments");
        List<Path> written = new ArrayList<>();
        if (!scores.isBlank()) {
            List<Path> runs = config.getStringList("compare.runs").stream().map(Path::new).toList();
            List<ScoreComparison.Cell> cells = ScoreComparison.write(new Path(scores), runs, out, hadoop);
            System.out.print(ScoreComparison.markdown(cells));
            System.out.println("compare: " + cells.size() + " set configurations -> " + out + "/summary.md");
            written.add(new Path(out, "summary.md"));
            if (!control.isBlank()) {
                String baseline = config.getString("compare.paired.baseline");
                List<PairedDifferences.Row> rows = PairedDifferences.of(cells, treatments, control, baseline);
                PairedDifferences.write(rows, control, baseline, out, hadoop);
                System.out.print(PairedDifferences.markdown(rows, control, baseline));
                System.out.println("compare: " + rows.size() + " paired rows -> " + out + "/paired.json");
                written.add(new Path(out, "paired.json"));
            }
        }
        if (!epsMse.isBlank()) {
            EpsMseComparison.Table table = EpsMseComparison.collect(new Path(epsMse), hadoop);
            EpsMseComparison.write(table, treatments, control, out, hadoop);
            System.out.print(EpsMseComparison.markdown(table, treatments, control));
            System.out.println("compare: " + table.errors().size() + " models' eps-MSE -> " + out + "/eps-mse.md");
            written.add(new Path(out, "eps-mse.md"));
        }
        if (!progress.isBlank()) {
            List<TrainingProgress.Point> points = TrainingProgress.write(new Path(progress), out, hadoop);
            System.out.print(TrainingProgress.markdown(points));
            System.out.println("compare: " + points.size() + " scores of checkpoints -> " + out + "/progress.md");
            written.add(new Path(out, "progress.md"));
        }
        return CommandResult.wrote("compare", written);
    }

    @Override
    public void readSettings(SettingsReader r) {
        r.string("compare.scores");
        r.string("compare.eps-mse");
        r.string("compare.progress");
        r.strings("compare.runs");
        r.nonEmpty("output.path");
        r.strings("compare.paired.treatments");
        r.string("compare.paired.control");
        r.string("compare.paired.baseline");
    }
}
