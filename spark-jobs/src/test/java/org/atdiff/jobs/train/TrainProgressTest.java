package org.atdiff.jobs.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.SparkEnv;
import org.apache.spark.metrics.source.Source;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.cluster.TorchSparkSession;
import org.atdiff.jobs.command.AtdiffConfig;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.JavaConverters;

/** Progress where schedulers look: the Spark log (logger org.atdiff.progress) and the metrics source atdiff.train. */
class TrainProgressTest {
    @TempDir
    Path dir;

    /** Collects the messages of one logger. */
    static final class Collected extends AbstractAppender {
        final List<String> lines = new CopyOnWriteArrayList<>();

        Collected() {
            super("collected", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public void append(LogEvent event) {
            lines.add(event.getMessage().getFormattedMessage());
        }
    }

    @Test
    void everyPrintedLineIsLoggedAndItsValuesAreGauges() throws Exception {
        Collected appender = new Collected();
        appender.start();
        org.apache.logging.log4j.core.Logger logger = (org.apache.logging.log4j.core.Logger) LogManager.getLogger(ProgressPrinter.LOGGER);
        Level before = logger.getLevel();
        Configurator.setLevel(ProgressPrinter.LOGGER, Level.INFO); // the launcher's configuration has it off
        logger.addAppender(appender);
        try {
            RunDirectory run = new RunDirectory(dir.toUri().toString(), new Configuration());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            try (TrainProgressSource metrics = TrainProgressSource.register();
                 ProgressPrinter p = ProgressPrinter.start(run, out, Duration.ofHours(1), metrics)) {
                run.writeText("progress.json", "{\"step\": 120, \"steps\": 1000, \"loss\": 0.0812, \"grad_norm\": 0.5, "
                        + "\"lr\": 0.001, \"images_per_sec\": 412.0, \"eta_s\": 192, \"engine\": \"engine: test CPU\"}");
                p.poll();
                var gauges = metrics.metricRegistry().getGauges();
                assertEquals(120L, gauges.get("step").getValue());
                assertEquals(1000L, gauges.get("steps").getValue());
                assertEquals(0.0812, (Double) gauges.get("loss").getValue(), 1e-12);
                assertEquals(192.0, (Double) gauges.get("eta_seconds").getValue(), 1e-12);
                assertEquals(1, gauges.get("attempt").getValue());
            }
            List<String> printed = List.of(bytes.toString(StandardCharsets.UTF_8).split("\n"));
            assertEquals(List.of("train: worker 0 engine: test CPU",
                    "train: step 120/1000  loss 0.0812  grad 0.500  lr 0.00100  412.0 img/s  ETA 3m12s"), printed);
            assertEquals(printed, appender.lines, "the Spark log gets every line stdout gets");
        } finally {
            logger.removeAppender(appender);
            Configurator.setLevel(ProgressPrinter.LOGGER, before);
            ((LoggerContext) LogManager.getContext(false)).updateLoggers();
        }
    }

    @Test
    void aRunningTrainIsASourceOfTheDriversMetricsSystem() throws Exception {
        SparkSession spark = TorchSparkSession.builder("local[2]", "TrainProgressTest", 1).config("spark.ui.enabled", "false")
                .getOrCreate();
        try (PointerScope scope = new PointerScope()) {
            Path data = TinyDataset.write(spark, dir.resolve("data"), 16, 8);
            AtomicLong seen = new AtomicLong(-1);
            Thread watcher = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    for (Source s : JavaConverters.seqAsJavaList(SparkEnv.get().metricsSystem().getSourcesByName(TrainProgressSource.NAME))) {
                        Object step = s.metricRegistry().getGauges().get("step").getValue();
                        if (step != null) seen.accumulateAndGet(((Number) step).longValue(), Math::max);
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            watcher.start();
            try {
                DistributedTrainer.prepare(AtdiffConfig.load(null, List.of("data.path=" + data, "run.dir=" + dir.resolve("run"),
                        "model.preset=tiny", "diffusion.timesteps=100", "train.objective=plain", "train.workers=1",
                        "train.batch-size=4", "train.steps=40", "train.warmup-steps=1", "train.log-every=1",
                        "engine.threads=1")), new Configuration()).run(spark, System.out);
            } finally {
                watcher.interrupt();
                watcher.join();
            }
            assertTrue(seen.get() >= 1, "the source showed a step while the run went on: " + seen.get());
            assertTrue(SparkEnv.get().metricsSystem().getSourcesByName(TrainProgressSource.NAME).isEmpty(),
                    "removed when the run ends");
        } finally {
            spark.stop();
        }
    }
}
