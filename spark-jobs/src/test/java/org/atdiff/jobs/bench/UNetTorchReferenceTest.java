package org.atdiff.jobs.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.NpyArray;
import org.atdiff.io.Npz;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch reference (unet_torch.py, built from torch.nn in PyTorch 1.13) against atdiff's U-Net in float32 with
 * the same weights, for guided-diffusion's layout as the cifar10-adm preset uses it, scaled down to run in seconds.
 * (BenchCommandTest compares every preset's parameter count with the reference's; UNetTest the full cifar10-adm's
 * with guided-diffusion's own.)
 */
class UNetTorchReferenceTest {
    @Test
    void guidedDiffusionLayoutGivesTheSameOutputInPyTorch() throws Exception {
        Assumptions.assumeTrue(new File("/usr/bin/python3").canExecute(), "no /usr/bin/python3");
        StringBuilder why = new StringBuilder();
        var py = PythonReference.start("/usr/bin/python3", 1, why);
        Assumptions.assumeTrue(py.isPresent(), why.toString());
        // two levels on 16x16: a down and an up resblock, qkv-first attention at 8 px over 64 channels in 4 heads of
        // 16 (with one head both orders agree) and in the middle block, scale-shift norm, 2C outputs
        UNetConfig cfg = new UNetConfig("ref", 3, 16, 32, new int[] {1, 2}, 2, new int[] {8}, 16, 0.0, 0, true, true,
                UNetConfig.AttentionOrder.QKV_FIRST);
        Path npz = Files.createTempFile("atdiff-reference", ".npz");
        float[] ours;
        try (PythonReference p = py.get(); PointerScope scope = new PointerScope()) {
            UNet model = new UNet(cfg, 7);
            RandomStream rng = new RandomStream(11);
            Map<String, NpyArray> arrays = new LinkedHashMap<>();
            try (NoGradScope g = new NoGradScope()) {
                for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) { // off the zero initialisations
                    e.getValue().add_(rng.normal(HostTensors.shape(e.getValue())).mul(new Scalar(0.05)));
                    arrays.put("w." + e.getKey(), NpyArray.float32(HostTensors.toFloats(e.getValue()),
                            HostTensors.shape(e.getValue())));
                }
            }
            Tensor x = rng.normal(new long[] {2, 3, 16, 16});
            arrays.put("x", NpyArray.float32(HostTensors.toFloats(x), 2, 3, 16, 16));
            arrays.put("t", NpyArray.float32(new float[] {17f, 802f}, 2));
            Npz.write(npz, arrays);
            model.train(false);
            try (NoGradScope g = new NoGradScope()) {
                DenoiserOutput out = model.predict(x, HostTensors.fromFloats(new float[] {17f, 802f}, 2), null);
                ours = HostTensors.toFloats(torch.cat(new TensorVector(out.eps(), out.v()), 1));
            }
            ObjectMapper json = new ObjectMapper();
            JsonNode spec = json.readTree(new ModelSpec(cfg, "cosine", 1000).toJson()).get("unet");
            JsonNode reply = p.request(PythonReference.command("check").put("size", 16).put("channels", 3)
                    .put("npz", npz.toString()).set("spec", spec));
            assertFalse(reply.has("error"), reply.toString());
            double[] theirs = json.treeToValue(reply.get("out"), double[].class);
            assertEquals(ours.length, theirs.length, "2C = 6 output channels on both sides");
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < ours.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
                maxAbs = Math.max(maxAbs, Math.abs(theirs[i]));
            }
            assertTrue(maxAbs > 0.1, "a non-trivial output: " + maxAbs);
            assertTrue(maxDiff < 2e-5 * Math.max(1, maxAbs), "PyTorch vs atdiff: max difference " + maxDiff + " of " + maxAbs);
        } finally {
            Files.deleteIfExists(npz);
        }
    }
}
