package org.atdiff.jobs.export;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.atdiff.diffusion.ModelSpec;
import org.atdiff.io.Checkpoint;
import org.atdiff.io.NpyArray;
import org.atdiff.io.Npz;
import org.atdiff.io.SafeTensors;
import org.atdiff.io.SafeTensorsFile;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.command.StepFingerprint;
import org.atdiff.jobs.sample.SampleJob;
import org.atdiff.jobs.sample.TinyRuns;
import org.atdiff.jobs.train.RunDirectory;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.optim.NoGradScope;
import org.atdiff.prep.DatasetImage;
import org.atdiff.prep.DatasetSchema;
import org.atdiff.prep.ImageDecoder;
import org.atdiff.prep.Pixels;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export}: sample sets as PNG folders (decoding to the sampled pixels) and as .npz files whose arr_0 numpy
 * reads as uint8 (N, H, W, C) with atdiff's pixel values; EMA weights as a safetensors file that
 * unet_torch.load_exported runs in PyTorch with atdiff's output on the same input.
 */
class ExportJobTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    static File dir;

    @BeforeAll
    static void quiet() {
        System.setProperty("spark.ui.enabled", "false");
        torch.set_num_threads(1);
    }

    static org.atdiff.jobs.command.CommandResult run(String... overrides) throws Exception {
        return org.atdiff.jobs.Atdiff.runAlone("export", new ExportJob(), AtdiffConfig.load(null, List.of(overrides)), "local[2]");
    }

    /** Runs a Python script with /usr/bin/python3; skips the test when it or one of {@code modules} is missing. */
    static String python(String modules, String script, String... args) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON);
        Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import " + modules).redirectErrorStream(true).start();
        assumeTrue(probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0, PYTHON + " lacks " + modules);
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), "-c", script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void sampleSetsBecomePngFoldersAndUint8Npz() throws Exception {
        File runDir = new File(dir, "run");
        TinyRuns.writeRun(runDir, 8, 3, 0, 5);
        File samples = new File(dir, "samples");
        org.atdiff.jobs.Atdiff.runAlone("sample", new SampleJob(), AtdiffConfig.load(null, List.of("run.dir=" + runDir, "sample.count=6",
                "sample.sampler=ddim", "sample.steps=[2,3]", "sample.batch-size=4", "output.path=" + samples)), "local[2]");
        File out = new File(dir, "exported");
        run("samples.path=" + samples, "output.path=" + out);
        for (String set : List.of("ddim-nfe2", "ddim-nfe3")) {
            List<Row> rows;
            SparkSession spark = TinyRuns.spark();
            try {
                rows = spark.read().parquet(new File(samples, set + "/data").toString()).orderBy(DatasetSchema.ID)
                        .collectAsList();
            } finally {
                spark.stop();
            }
            assertEquals(6, rows.size());
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            Map<String, NpyArray> npz = Npz.read(new File(out, set + ".npz").toPath());
            NpyArray arr = npz.get("arr_0");
            assertArrayEquals(new long[] {6, 8, 8, 3}, arr.shape());
            for (int i = 0; i < rows.size(); i++) {
                Pixels want = DatasetImage.of(rows.get(i)).pixels();
                long id = rows.get(i).getLong(rows.get(i).fieldIndex(DatasetSchema.ID));
                Pixels png = ImageDecoder.decode(Files.readAllBytes(new File(out, set + String.format("/%06d.png", id)).toPath()));
                assertArrayEquals(want.chw(), png.chw(), set + " png " + id);
                byte[] hwc = SampleExport.toHwc(want.chw(), 3, 8, 8);
                sha.update(hwc);
                for (int k = 0; k < hwc.length; k++) assertEquals(hwc[k] & 0xff, arr.data()[i * hwc.length + k], 1e-9);
            }
            assertEquals(6, new File(out, set).list((d, name) -> name.endsWith(".png")).length);
            String got = python("numpy", "import sys, hashlib, numpy as np; a = np.load(sys.argv[1])['arr_0']; "
                    + "print(a.shape, a.dtype, hashlib.sha256(a.tobytes()).hexdigest())", new File(out, set + ".npz").toString());
            assertEquals("(6, 8, 8, 3) uint8 " + HexFormat.of().formatHex(sha.digest()), got, set);
        }
        long npzTime = new File(out, "ddim-nfe2.npz").lastModified();
        assertTrue(run("samples.path=" + samples, "output.path=" + out).reused(), "the same export again is skipped");
        assertEquals(npzTime, new File(out, "ddim-nfe2.npz").lastModified());
        new File(out, StepFingerprint.FOLDER_FILE).delete(); // an output of unknown origin is refused
        IllegalStateException again = assertThrows(IllegalStateException.class,
                () -> run("samples.path=" + samples, "output.path=" + out));
        assertTrue(again.getMessage().contains("output.overwrite"), again.getMessage());
    }

    @Test
    void emaWeightsLoadInPyTorchAndGiveAtdiffsOutput() throws Exception {
        // a U-Net in guided-diffusion's layout (cifar10-adm's blocks): resblock up/down-sampling, qkv-first attention
        // at 4 px over 16 channels in 2 heads, a learned variance; every weight moved off its (zero) initialisation
        ModelSpec spec = new ModelSpec(new UNetConfig("test", 3, 8, 8, new int[] {1, 2}, 1, new int[] {4}, 8, 0.0, 0,
                true, true, UNetConfig.AttentionOrder.QKV_FIRST), "linear", 1000);
        File runDir = new File(dir, "wrun");
        Path x = dir.toPath().resolve("xt.npz");
        float[] ours;
        try (PointerScope scope = new PointerScope()) {
            UNet unet = spec.build(3);
            LinkedHashMap<String, Tensor> state = unet.stateDict();
            RandomStream rng = new RandomStream(4);
            try (NoGradScope g = new NoGradScope()) {
                for (Tensor t : state.values()) t.add_(rng.normal(HostTensors.shape(t)).mul(new Scalar(0.05)));
            }
            Checkpoint c = new Checkpoint(new LinkedHashMap<>(state), state, new LinkedHashMap<>(), 7,
                    new LinkedHashMap<>(), "{\"train\":{\"objective\":\"plain\"}}", spec.toJson());
            new RunDirectory(runDir.toURI().toString(), new Configuration()).writeCheckpoint(7, c::save, 1);
            Tensor input = rng.normal(new long[] {2, 3, 8, 8});
            Map<String, NpyArray> arrays = new LinkedHashMap<>();
            arrays.put("x", NpyArray.float32(HostTensors.toFloats(input), 2, 3, 8, 8));
            arrays.put("t", NpyArray.float32(new float[] {17f, 802f}, 2));
            Npz.write(x, arrays);
            // atdiff's output from the exported file alone
            run("export.what=weights", "run.dir=" + runDir, "output.path=" + new File(dir, "weights"));
            SafeTensorsFile f = SafeTensors.read(new File(dir, "weights/model.safetensors").toPath());
            assertEquals(WeightsExport.FORMAT, f.metadata().get("format"));
            assertEquals("plain", f.metadata().get("objective"));
            assertEquals("7", f.metadata().get("step"));
            UNet loaded = ModelSpec.fromJson(f.metadata().get("model")).build(0);
            loaded.loadStateDict(f.tensors());
            loaded.train(false);
            try (NoGradScope g = new NoGradScope()) {
                DenoiserOutput out = loaded.predict(input, HostTensors.fromFloats(new float[] {17f, 802f}, 2), null);
                ours = HostTensors.toFloats(torch.cat(new TensorVector(out.eps(), out.v()), 1)); // eps, then v
            }
        }
        String script = String.join("\n",
                "import sys, json, numpy as np, torch",
                "sys.path.insert(0, sys.argv[1])",
                "import unet_torch",
                "torch.set_num_threads(1)",
                "model, meta = unet_torch.load_exported(sys.argv[2])",
                "d = np.load(sys.argv[3])",
                "with torch.no_grad():",
                "    eps = model(torch.from_numpy(d['x']), torch.from_numpy(d['t']))",
                "print(json.dumps(eps.flatten().tolist()))");
        String out = python("numpy, torch", script, new File("src/main/python").getAbsolutePath(),
                new File(dir, "weights/model.safetensors").toString(), x.toString());
        double[] theirs = new com.fasterxml.jackson.databind.ObjectMapper().readValue(out, double[].class);
        assertEquals(ours.length, theirs.length, "2C output channels in PyTorch too");
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < ours.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
            maxAbs = Math.max(maxAbs, Math.abs(theirs[i]));
        }
        assertTrue(maxAbs > 0.01, "a non-trivial output: " + maxAbs);
        assertTrue(maxDiff <= 1e-4 * Math.max(1, maxAbs), "PyTorch vs atdiff: max difference " + maxDiff + " of " + maxAbs);
    }
}
