package org.atdiff.jobs.sample;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atdiff.io.Checkpoint;
import org.atdiff.io.SafeTensors;
import org.atdiff.io.SafeTensorsFile;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.jobs.train.TrainSettings;
import org.atdiff.nn.Denoiser;
import org.atdiff.sampling.EpsilonScaling;
import org.atdiff.sampling.Sampler;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.nn.TrainableDenoiser;
import org.atdiff.nn.UNet;
import org.atdiff.train.ObjectiveSettings;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The network a sampling job runs, as executors receive it: the chosen weights (EMA or raw) of one checkpoint and
 * its {@link ModelSpec}, as safetensors bytes (no optimizer state), small enough to broadcast.
 *
 * @param checkpoint the checkpoint file the weights come from
 * @param step       its training step
 * @param ema        whether these are the EMA weights
 * @param configJson the checkpoint's configuration, which says what the network was trained as ({@link #objective})
 */
public record SamplingModel(String checkpoint, long step, boolean ema, String specJson, byte[] weights,
        String configJson) implements Serializable {

    /** The checkpoint {@code sample.checkpoint} names, else the latest of {@code run.dir}. */
    public static Path resolve(SampleSettings s, Configuration hadoop) throws IOException {
        return RunDirectory.checkpointToRead("sample.checkpoint", s.checkpoint(), s.runDir(), hadoop);
    }

    /** Reads a checkpoint and keeps its EMA ({@code ema}) or raw weights; checks they fit the spec it carries. */
    public static SamplingModel read(Path path, boolean ema, Configuration hadoop) throws IOException {
        FileSystem fs = path.getFileSystem(hadoop);
        try (PointerScope scope = new PointerScope(); FSDataInputStream in = fs.open(path)) {
            Checkpoint c = Checkpoint.load(in, path.toString());
            LinkedHashMap<String, Tensor> w = ema ? c.ema() : c.model();
            if (w.isEmpty()) {
                throw new IllegalArgumentException("checkpoint " + path + " has no " + (ema ? "EMA" : "model")
                        + " weights" + (ema ? "; set sample.ema=false to use the raw weights" : ""));
            }
            ModelSpec spec;
            try {
                spec = ModelSpec.fromJson(c.modelSpecJson());
                spec.build(0).loadStateDict(w);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("checkpoint " + path + ": " + e.getMessage(), e);
            }
            TrainSettings.trainedObjective(c.configJson(), path.toString()); // a configuration that names an unknown objective fails here
            return new SamplingModel(path.toString(), c.step(), ema, c.modelSpecJson(),
                    SafeTensors.toBytes(w, Map.of()), c.configJson());
        }
    }

    /** What the network was trained as: a noise predictor (plain, ip, at) or a consistency model (cd, ct). */
    public ObjectiveSettings objective() {
        return TrainSettings.trainedObjective(configJson, checkpoint);
    }

    /**
     * The sampler of {@code set} for this network ({@code cm} only for a consistency model, with its sigma_data and
     * the settings' re-noising times).
     */
    public Sampler sampler(SampleSet set, SampleSettings s) {
        try {
            return objective().sampler(set.sampler(), s.eta(), s.spacing(), s.samplingTimes(), s.statePerturbation());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    /**
     * The network as {@code set}'s sampler runs it: the U-Net itself for {@code cm} and for a noise predictor; for a
     * consistency model under a noise-prediction sampler, the noise its consistency function implies; then epsilon
     * scaling when the set asks for it; under bf16 autocast for {@code sample.precision = bf16}.
     */
    public Denoiser denoiser(UNet unet, SampleSet set, SampleSettings s) {
        TrainableDenoiser network = s.precision().apply(unet);
        Denoiser d = set.sampler().equals("cm") ? network : objective().noisePredictor(network, spec().noiseSchedule());
        return set.es() ? new EpsilonScaling(d, s.esFactor()) : d;
    }

    public ModelSpec spec() {
        return ModelSpec.fromJson(specJson);
    }

    /** A fresh U-Net with these weights (built on the caller's thread; its parameters outlive any PointerScope). */
    public UNet build() {
        UNet model = spec().build(0);
        try (PointerScope scope = new PointerScope()) {
            SafeTensorsFile file = SafeTensors.read(weights, checkpoint);
            model.loadStateDict(file.tensors());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        model.train(false);
        return model;
    }
}
