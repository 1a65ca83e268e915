package org.atdiff.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.jobs.fid.FidScoring;
import org.atdiff.jobs.fid.ImageStatistics;
import org.atdiff.jobs.sample.SampleGeneration;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.nn.UNet;

/**
 * {@code run.dir/report.html} of {@code pipeline}: what ran (engine lines, dataset, model, objective, phase times),
 * the loss curve from {@code metrics.jsonl}, the scores and each sample set's grid ({@link RunReport}).
 */
public final class PipelineReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PipelineReport() {}

    /** Writes the report of the run {@code config} describes; returns its path. */
    public static Path write(Config config, ModelSpec spec, List<SampleGeneration.WrittenSet> sets,
                             List<FidScoring.Result> scores, ImageStatistics reference, Map<String, Long> seconds,
                             Configuration hadoop) throws IOException {
        RunDirectory run = new RunDirectory(config.getString("run.dir"), hadoop);
        RunReport report = new RunReport("atdiff run " + config.getString("run.dir"));
        String trainingEngine = null;
        for (String line : run.metricsLines()) {
            JsonNode n = JSON.readTree(line);
            report.lossPoint(n.get("step").asLong(), n.get("loss").asDouble());
            if (n.has("engine")) trainingEngine = n.get("engine").get("line").asText(); // the last attempt's
        }
        report.fact("engine (this driver)", ConvolutionEngine.report().line());
        if (trainingEngine != null) report.fact("engine (training worker 0)", trainingEngine);
        report.fact("dataset", config.getString("data.path") + " (" + config.getString("input.path") + ")");
        report.fact("model", spec.unet().preset() + ", " + String.format("%,d", UNet.parameterCount(spec.unet()))
                + " parameters" + (spec.unet().numClasses() > 0 ? ", " + spec.unet().numClasses() + " classes" : "")
                + ", " + spec.schedule() + " schedule, T = " + spec.timesteps());
        report.fact("objective", config.getString("train.objective") + ", " + config.getInt("train.steps") + " steps");
        report.fact("reference statistics", reference.count() + " images, " + reference.features() + " features");
        seconds.forEach((phase, s) -> report.fact("time: " + phase, s + " s"));
        for (FidScoring.Result r : scores) {
            report.score(new RunReport.Score(r.sampler(), r.nfe(), r.es(), r.count(), r.features(), r.scoreName(),
                    r.score(), r.classifierAccuracy()));
        }
        FileSystem fs = new Path(config.getString("samples.path")).getFileSystem(hadoop);
        for (SampleGeneration.WrittenSet w : sets) {
            Path grid = new Path(w.folder(), SampleGeneration.GRID_FILE);
            if (fs.exists(grid)) {
                try (InputStream in = fs.open(grid)) {
                    report.grid(w.set().sampler() + ", NFE " + w.set().nfe() + (w.set().es() ? ", ES" : ""),
                            in.readAllBytes());
                }
            }
        }
        report.config(config.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false)));
        run.writeText("report.html", report.html());
        return new Path(run.root(), "report.html");
    }
}
