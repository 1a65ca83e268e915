package org.atdiff.jobs.sample;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atdiff.consistency.ConsistencyNetwork;
import org.atdiff.consistency.ConsistencyParameterization;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.diffusion.TimestepSpacing;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.train.TrainSettings;
import org.atdiff.nn.Denoiser;
import org.atdiff.nn.UNet;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.sampling.ConsistencySampler;
import org.atdiff.sampling.DdimSampler;
import org.atdiff.sampling.Sampler;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample job on consistency-model checkpoints: {@code sample.sampler = cm} runs the checkpoint's consistency
 * function (its own {@code cm.sigma-data}) and is refused on a noise predictor; noise-prediction samplers run a
 * consistency model through the noise its consistency function implies.
 */
class ConsistencySamplingTest {
    @TempDir
    static File dir;
    static File dpmRun, cmRun;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("spark.ui.enabled", "false");
        torch.set_num_threads(1);
        dpmRun = new File(dir, "dpm");
        TinyRuns.writeRun(dpmRun, 8, 3, 0, 7);
        cmRun = new File(dir, "ct");
        TinyRuns.writeRun(cmRun, 8, 3, 0, 7, TrainSettings.toJson(AtdiffConfig.load(null,
                List.of("train.objective=ct", "cm.sigma-data=0.4"))));
    }

    @AfterAll
    static void stop() {
        TinyRuns.spark().stop();
    }

    private static SampleSettings settings(File run, File out, List<String> samplers) {
        return new SampleSettings("", run.toString(), true, 5, samplers, List.of(2), false, 1.017, 0.0, 3, 5, 2, 1,
                out.toString(), false, List.of(400));
    }

    /** The images {@code sampler} makes from the run's network {@code net} as sample i = 0..4 of seed 3. */
    private static Map<Long, byte[]> expected(Sampler sampler, Denoiser net, NoiseSchedule schedule) {
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            byte[] pixels = HostTensors.toPixels(sampler.generate(net, schedule, 2, null, BatchNoise.forSamples(3, 0, 5),
                    3, 8, 8));
            Map<Long, byte[]> m = new java.util.HashMap<>();
            for (int b = 0; b < 5; b++) m.put((long) b, java.util.Arrays.copyOfRange(pixels, b * 192, (b + 1) * 192));
            return m;
        }
    }

    private static void assertSameImages(Map<Long, byte[]> want, Map<Long, byte[]> got, String what) {
        assertEquals(want.keySet(), got.keySet());
        for (long id : want.keySet()) assertArrayEquals(want.get(id), got.get(id), what + " image " + id);
    }

    @Test
    void cmSamplesTheCheckpointsConsistencyFunctionAndOtherSamplersItsImpliedNoise() throws Exception {
        File out = new File(dir, "out-ct");
        SampleGeneration.run(TinyRuns.spark(), settings(cmRun, out, List.of("cm", "ddim")));
        SamplingModel model = SamplingModel.read(new Path(new File(cmRun, "checkpoints/step-00000000.safetensors")
                .toURI()), true, new Configuration());
        assertTrue(model.objective().consistencyModel());
        try (PointerScope scope = new PointerScope()) {
            UNet unet = model.build();
            NoiseSchedule schedule = model.spec().noiseSchedule();
            Map<Long, byte[]> cm = SampleGenerationTest.images(new File(out, "cm-nfe2"));
            assertSameImages(expected(new ConsistencySampler(0.4, new int[] {400}), unet, schedule), cm, "cm");
            // the checkpoint's sigma_data matters: the default 0.5 gives other images
            Map<Long, byte[]> half = expected(new ConsistencySampler(0.5, new int[] {400}), unet, schedule);
            assertFalse(java.util.Arrays.equals(half.get(0L), cm.get(0L)), "sigma_data 0.5 differs");
            assertSameImages(expected(new DdimSampler(0.0, TimestepSpacing.TRAILING),
                    new ConsistencyNetwork(unet, new ConsistencyParameterization(schedule, 0.4)), schedule),
                    SampleGenerationTest.images(new File(out, "ddim-nfe2")), "ddim");
        }
        assertEquals("ct", new ObjectMapper().readTree(new File(out, "cm-nfe2/set.json")).get("objective").asText());
    }

    @Test
    void cmOnANoisePredictorIsRefusedBeforeAnyImageIsWritten() {
        File out = new File(dir, "out-dpm");
        String m = assertThrows(IllegalArgumentException.class, () -> SampleGeneration.run(TinyRuns.spark(),
                settings(dpmRun, out, List.of("ddim", "cm")))).getMessage();
        assertTrue(m.contains("sample.sampler = cm") && m.contains("consistency model") && m.contains("step-00000000"), m);
        assertFalse(out.exists(), "nothing written");
    }

    @Test
    void samplingSettingsOfConsistencyModels() {
        SampleSettings s = SampleSettings.fromConfig(AtdiffConfig.load(null,
                List.of("sample.sampler=cm", "cm.sampling-times=[700,300]")));
        assertArrayEquals(new int[] {700, 300}, s.samplingTimes());
        String m = assertThrows(IllegalArgumentException.class, () -> SampleSettings.fromConfig(AtdiffConfig.load(null,
                List.of("sample.sampler=[ddim,cm]", "sample.es=true")))).getMessage();
        assertTrue(m.contains("sample.es") && m.contains("cm"), m);
    }
}
