package org.atdiff.jobs.export;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.Checkpoint;
import org.atdiff.io.SafeTensors;
import org.atdiff.jobs.command.ExistingOutput;
import org.atdiff.jobs.train.TrainSettings;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A run's EMA weights as one standalone safetensors file: the tensors under the U-Net's parameter names (those of
 * {@code spark-jobs/src/main/python/unet_torch.py}, improved-diffusion's) and, in its metadata, {@code format} =
 * {@value #FORMAT}, {@code model} (the model spec JSON: U-Net hyper-parameters, noise schedule, timesteps),
 * {@code objective} (what the network predicts), {@code checkpoint}, {@code step} and {@code config} (the training
 * configuration). No optimizer state. {@code unet_torch.load_exported} builds the PyTorch module from it.
 */
public final class WeightsExport {
    public static final String FORMAT = "atdiff-unet-v1";

    /** What was written. */
    public record Exported(Path file, Path checkpoint, long step, String objective, int tensors) {}

    private WeightsExport() {}

    /** {@code output.path} itself if it ends in .safetensors, else {@code model.safetensors} in it. */
    public static Path file(String outputPath) {
        return outputPath.endsWith(".safetensors") ? new Path(outputPath) : new Path(outputPath, "model.safetensors");
    }

    public static Exported run(Path checkpoint, Path file, boolean overwrite, Configuration hadoop) throws IOException {
        FileSystem fs = file.getFileSystem(hadoop);
        ExistingOutput.refuseUnlessOverwrite(file, overwrite, hadoop);
        try (PointerScope scope = new PointerScope()) {
            Checkpoint c;
            try (InputStream in = checkpoint.getFileSystem(hadoop).open(checkpoint)) {
                c = Checkpoint.load(in, checkpoint.toString());
            }
            LinkedHashMap<String, Tensor> ema = c.ema();
            if (ema.isEmpty()) throw new IllegalArgumentException("checkpoint " + checkpoint + " has no EMA weights");
            try {
                ModelSpec.fromJson(c.modelSpecJson()).build(0).loadStateDict(ema); // the weights fit their spec
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("checkpoint " + checkpoint + ": " + e.getMessage(), e);
            }
            String objective = TrainSettings.trainedObjective(c.configJson(), checkpoint.toString()).name();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", FORMAT);
            meta.put("model", c.modelSpecJson());
            meta.put("objective", objective);
            meta.put("weights", "ema");
            meta.put("checkpoint", checkpoint.toString());
            meta.put("step", Long.toString(c.step()));
            meta.put("config", c.configJson());
            try (OutputStream out = fs.create(file, true)) {
                SafeTensors.write(out, ema, meta);
            }
            return new Exported(file, checkpoint, c.step(), objective, ema.size());
        }
    }
}
