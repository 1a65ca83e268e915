package org.atdiff.jobs;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.EngineSetup;
import org.atdiff.jobs.command.ModelSettings;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.train.ImageRow;
import org.atdiff.jobs.train.ImageTable;
import org.atdiff.jobs.train.ReplicaTrainer;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.jobs.train.StepClock;
import org.atdiff.jobs.train.TrainPlan;
import org.atdiff.jobs.train.TrainSettings;
import org.atdiff.jobs.train.WorkerOutcome;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.ShapesDataset;
import org.atdiff.tensor.EngineThreads;
import org.atdiff.train.GradientSync;
import org.atdiff.train.StepMetrics;

/**
 * {@code atdiff train-local}: the trainer of {@code train} (one replica, no Spark, no dataset to prepare) on the
 * built-in generated shapes ({@link ShapesDataset}), printing the loss as it falls. Without {@code --conf} it runs the
 * profile conf/train-local.conf (the tiny model on 16x16 images, 300 steps of free adversarial training, run.dir
 * {@code runs/train-local}); any {@code path=value} wins. About two minutes on two cores.
 */
public final class TrainLocalJob implements Command {
    @Override
    public String defaultProfile() {
        return "train-local.conf";
    }

    @Override
    public String summary() {
        return "train the tiny model on generated shapes in this JVM, no cluster (defaults: 300 AT steps, 16x16)";
    }

    @Override
    public CommandResult run(Config config, CommandSession session) throws Exception {
        TrainSettings settings = TrainSettings.fromConfig(config);
        int size = config.getInt("image.size");
        if (config.getInt("image.channels") != 3) throw new IllegalArgumentException("image.channels: train-local generates RGB shapes (3)");
        int threads = EngineThreads.resolve(settings.threads(), Runtime.getRuntime().availableProcessors());
        EngineThreads.use(threads);
        EngineSetup.configure(config, System.out);
        ModelSpec spec = ModelSettings.fromConfig(config, size, 3, ShapesDataset.classes());
        ImageTable images = shapes(config.getInt("input.builtin-count"), size, config.getLong("input.builtin-seed"));
        RunDirectory run = new RunDirectory(settings.runDir(), new Configuration());
        System.out.printf("train-local: %,d generated shapes %dx%dx3, objective %s, batch %d, %d steps, %d threads, run.dir %s%n",
                images.size(), size, size, settings.objective().label(), settings.batchSize(), settings.steps(), threads,
                settings.runDir());
        run.writeText("config.conf", TrainSettings.toHocon(config));

        LossWindow losses = new LossWindow(settings.steps(), settings.logEvery());
        TrainPlan plan = new TrainPlan(settings, spec, TrainSettings.toJson(config), 0, null); // resumes what run.dir holds
        WorkerOutcome o = new ReplicaTrainer(plan, run).observe(losses)
                .train(images, 0, 1, 1, GradientSync.LOCAL);
        if (!o.completed()) throw new IllegalStateException("train-local stopped: " + o.nonFiniteReason());
        if (losses.first.isEmpty()) {
            System.out.printf("train-local: %s already holds step %d; pass train.steps=N to continue or another run.dir%n",
                    settings.runDir(), o.step());
            return result(run).asReused();
        }
        System.out.printf("train-local: loss at the start %.4f (mean of the first %d steps), at the end %.4f (last %d)%n",
                LossWindow.mean(losses.first), losses.first.size(), LossWindow.mean(losses.last), losses.last.size());
        System.out.printf("train-local: checkpoint %s%n", run.latestCheckpoint().orElseThrow());
        return result(run);
    }

    private static CommandResult result(RunDirectory run) throws java.io.IOException {
        List<String> metrics = run.metricsLines();
        return CommandResult.wrote("train-local", List.of(run.latestCheckpoint().orElseThrow()))
                .withLastMetrics(metrics.isEmpty() ? "" : metrics.get(metrics.size() - 1));
    }

    @Override
    public void readSettings(SettingsReader r) {
        TrainSettings.read(r);
        ModelSettings.read(r, r.integer("image.size"), r.integer("image.channels"), ShapesDataset.classes());
        r.integer("input.builtin-count");
        r.longValue("input.builtin-seed");
        r.string("engine.conv-path");
    }

    @Override
    public String target(Config config) {
        return config.getString("run.dir");
    }

    static ImageTable shapes(int count, int size, long seed) {
        List<ImageRow> rows = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ShapesDataset.Sample s = ShapesDataset.render(i, size, seed);
            rows.add(ImageRow.byId(new DatasetImage(i, s.label(), s.pixels())));
        }
        return new ImageTable(rows, 3, size, size);
    }

    /** Prints a line every log step and keeps the losses of the first and last steps. */
    private static final class LossWindow implements org.atdiff.train.StepListener {
        private static final int WINDOW = 10;
        final List<Double> first = new ArrayList<>(), last = new ArrayList<>();
        private final long steps, every;
        private StepClock clock; // started at the first step, when the step resumed from is known

        LossWindow(long steps, long every) {
            this.steps = steps;
            this.every = every;
        }

        @Override
        public void onStep(StepMetrics m, org.atdiff.train.TrainingLoop loop) {
            if (clock == null) clock = new StepClock(m.step() - 1);
            if (first.size() < WINDOW) first.add(m.loss());
            last.add(m.loss());
            if (last.size() > WINDOW) last.remove(0);
            if (m.step() % every == 0 || m.step() == steps) {
                System.out.printf("train-local: step %d/%d  loss %.4f  %.1f img/s  ETA %.0fs%n", m.step(), steps, m.loss(),
                        m.imagesPerSec(), clock.secondsLeft(m.step(), steps));
            }
        }

        static double mean(List<Double> xs) {
            return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }
}
