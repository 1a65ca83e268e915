package org.atdiff.nn;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SingleThreadedTorch.class)
class UNetTest {

    private static Tensor timesteps(float... t) {
        return HostTensors.fromFloats(t, t.length);
    }

    @Test
    void outputShapeEqualsInputShape() {
        try (PointerScope scope = new PointerScope()) {
            for (int[] s : new int[][] {{32, 3}, {28, 1}}) {
                UNet model = new UNet(UNetConfig.preset("tiny", s[0], s[1]), 1);
                Tensor x = new RandomStream(2).normal(2, s[1], s[0], s[0]);
                Tensor eps = model.predictNoise(x, timesteps(10f, 999.5f), null);
                assertArrayEquals(new long[] {2, s[1], s[0], s[0]}, HostTensors.shape(eps));
            }
        }
    }

    @Test
    void aLearnedVarianceNetworkOutputsEpsThenVAndPredictsNoiseWithTheFirstHalf() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 8, 3).withLearnSigma(true), 1);
            TestWeights.perturb(model, 3, 0.05);
            assertArrayEquals(new long[] {6, 32, 3, 3}, HostTensors.shape(model.stateDict().get("out.2.weight")));
            Tensor x = new RandomStream(2).normal(2, 3, 8, 8);
            DenoiserOutput out = model.predict(x, timesteps(10f, 900f), null);
            assertTrue(out.learnsVariance());
            assertArrayEquals(new long[] {2, 3, 8, 8}, HostTensors.shape(out.v()));
            Tensor eps = model.predictNoise(x, timesteps(10f, 900f), null);
            assertArrayEquals(HostTensors.toFloats(out.eps()), HostTensors.toFloats(eps), 0f);
            assertFalse(out.eps().equal(out.v()));
            // a fixed-variance network has no v, and the same weights apart from the output layer's rows
            UNet fixed = new UNet(UNetConfig.preset("tiny", 8, 3), 1);
            assertFalse(fixed.predict(x, timesteps(10f, 900f), null).learnsVariance());
            assertEquals(model.parameterCount() - fixed.parameterCount(), 3 * 32 * 9 + 3);
        }
    }

    @Test
    void parameterCountsOfThePresets() {
        try (PointerScope scope = new PointerScope()) {
            List<String> lines = UNet.describePresets(32, 3);
            lines.forEach(System.out::println);
            assertEquals(UNetConfig.PRESETS.size(), lines.size());
            long tiny = UNet.parameterCount(UNetConfig.preset("tiny", 32, 3));
            long small = UNet.parameterCount(UNetConfig.preset("small", 32, 3));
            long adm = UNet.parameterCount(UNetConfig.preset("cifar10-adm", 32, 3));
            long iddpm = UNet.parameterCount(UNetConfig.preset("cifar10-iddpm", 32, 3));
            assertTrue(tiny < 1_000_000, "tiny has " + tiny);
            assertTrue(small > 1_000_000 && small < 10_000_000, "small has " + small);
            // exact, so that an architecture change is noticed
            assertEquals(756_163, tiny);
            assertEquals(6_949_187, small);
            // sum(p.numel()) of openai/guided-diffusion's UNetModel (commit 22e0df8) built with the authors' CIFAR-10
            // flags: --num_channels 128 --num_res_blocks 3 --num_head_channels 32 --attention_resolutions 16,8
            // --resblock_updown True --use_new_attention_order True --use_scale_shift_norm True --learn_sigma True
            // (channel_mult 1,2,2,2 for 32x32 in their script_util)
            assertEquals(57_094_662, adm);
            assertTrue(lines.get(2).contains("57,094,662 parameters"), lines.get(2));
            // sum(p.numel()) of openai/improved-diffusion's UNetModel (commit 1bc7bbb) with its README's CIFAR-10
            // flags: --num_channels 128 --num_res_blocks 3 --learn_sigma True (num_heads 4, attention at 16,8)
            assertEquals(52_546_438, iddpm);
            assertEquals(756_163, new UNet(UNetConfig.preset("tiny", 32, 3), 0).parameterCount());
            // the count does not depend on the image size, nor on the number of attention heads
            assertEquals(tiny, UNet.parameterCount(UNetConfig.preset("tiny", 28, 3)));
        }
    }

    @Test
    void sameSeedGivesIdenticalWeightsAndDifferentSeedsDiffer() {
        try (PointerScope scope = new PointerScope()) {
            UNetConfig cfg = UNetConfig.preset("tiny", 16, 3).withNumClasses(4);
            LinkedHashMap<String, Tensor> a = new UNet(cfg, 42).stateDict();
            LinkedHashMap<String, Tensor> b = new UNet(cfg, 42).stateDict();
            LinkedHashMap<String, Tensor> c = new UNet(cfg, 43).stateDict();
            assertEquals(List.copyOf(a.keySet()), List.copyOf(b.keySet()));
            for (String k : a.keySet()) assertTrue(a.get(k).equal(b.get(k)), k);
            int differing = 0;
            for (String k : a.keySet()) {
                boolean constantInit = a.get(k).max().equal(a.get(k).min()); // ones, zeros
                assertEquals(!constantInit, !a.get(k).equal(c.get(k)), k);
                if (!constantInit) differing++;
            }
            assertTrue(differing > a.size() / 3, differing + " random tensors of " + a.size());
        }
    }

    @Test
    void namesFollowImprovedDiffusion() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 16, 3).withNumClasses(10), 0);
            LinkedHashMap<String, Tensor> sd = model.stateDict();
            for (String name : List.of("time_embed.0.weight", "time_embed.2.bias", "label_emb.weight",
                    "input_blocks.0.0.weight", "input_blocks.1.0.in_layers.0.weight", "input_blocks.1.0.in_layers.2.weight",
                    "input_blocks.1.0.emb_layers.1.weight", "input_blocks.1.0.out_layers.3.weight",
                    "input_blocks.2.0.op.weight", "input_blocks.3.0.skip_connection.weight",
                    "input_blocks.3.1.qkv.weight", "input_blocks.3.1.proj_out.bias", "middle_block.1.norm.weight",
                    "middle_block.2.out_layers.0.bias", "output_blocks.0.1.qkv.weight", "output_blocks.1.2.conv.weight",
                    "output_blocks.3.0.skip_connection.weight", "out.0.weight", "out.2.weight")) {
                assertTrue(sd.containsKey(name), name + " missing from " + sd.keySet());
            }
            assertArrayEquals(new long[] {192, 64, 1}, HostTensors.shape(sd.get("input_blocks.3.1.qkv.weight")));
            assertArrayEquals(new long[] {64, 128}, HostTensors.shape(sd.get("input_blocks.1.0.emb_layers.1.weight")));
            assertEquals(sd.size(), model.parameters().size());
            assertTrue(model.parameters().get(0).requires_grad());
        }
    }

    @Test
    void zeroInitialisedLayersStartAtZero() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 16, 3), 5);
            Map<String, Tensor> sd = model.stateDict();
            for (String k : sd.keySet()) {
                boolean zero = k.contains("out_layers.3") || k.contains("proj_out") || k.startsWith("out.2");
                double max = sd.get(k).abs().max().item_double();
                if (zero) assertEquals(0.0, max, k);
                else if (!k.endsWith(".bias")) assertTrue(max > 0, k);
            }
            // so the freshly built network predicts exactly zero noise
            Tensor eps = model.predictNoise(new RandomStream(1).normal(1, 3, 16, 16), timesteps(5f), null);
            assertEquals(0.0, eps.abs().max().item_double());
        }
    }

    @Test
    void classConditioningChangesTheOutputAndLabelsAreChecked() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = new UNet(UNetConfig.preset("tiny", 8, 3).withNumClasses(10), 3);
            TestWeights.perturb(model, 9, 0.05);
            Tensor x = new RandomStream(4).normal(2, 3, 8, 8);
            Tensor t = timesteps(100f, 100f);
            Tensor e0 = model.predictNoise(x, t, HostTensors.fromLongs(new long[] {0, 0}, 2));
            Tensor e3 = model.predictNoise(x, t, HostTensors.fromLongs(new long[] {3, 3}, 2));
            assertTrue(e0.sub(e3).abs().max().item_double() > 1e-4);
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> model.predictNoise(x, t, null));
            assertTrue(missing.getMessage().contains("labels are required"), missing.getMessage());
            IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                    () -> model.predictNoise(x, t, HostTensors.fromLongs(new long[] {0, 10}, 2)));
            assertTrue(range.getMessage().contains("label 10"), range.getMessage());
            UNet uncond = new UNet(UNetConfig.preset("tiny", 8, 3), 3);
            assertThrows(IllegalArgumentException.class,
                    () -> uncond.predictNoise(x, t, HostTensors.fromLongs(new long[] {0, 0}, 2)));
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> uncond.predictNoise(new RandomStream(4).normal(2, 1, 8, 8), t, null));
            assertTrue(shape.getMessage().contains("x has shape [2, 1, 8, 8]"), shape.getMessage());
        }
    }

    @Test
    void loadStateDictRoundTripAndShapeMismatch() {
        try (PointerScope scope = new PointerScope()) {
            UNetConfig cfg = UNetConfig.preset("tiny", 8, 3);
            UNet a = new UNet(cfg, 1);
            TestWeights.perturb(a, 2, 0.05);
            UNet b = new UNet(cfg, 7);
            b.loadStateDict(a.stateDict());
            for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
                assertTrue(e.getValue().equal(b.stateDict().get(e.getKey())), e.getKey());
            }
            Tensor x = new RandomStream(3).normal(2, 3, 8, 8);
            assertTrue(a.predictNoise(x, timesteps(1f, 2f), null).equal(b.predictNoise(x, timesteps(1f, 2f), null)));

            UNet wider = new UNet(cfg.withOverrides(64, null, 0, null, 0, -1), 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(wider.stateDict()));
            assertTrue(e.getMessage().contains("shape mismatch for time_embed.0.weight"), e.getMessage());
            LinkedHashMap<String, Tensor> partial = a.stateDict();
            partial.remove("out.2.bias");
            partial.put("extra.weight", partial.get("out.2.weight"));
            e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(partial));
            assertTrue(e.getMessage().contains("out.2.bias") && e.getMessage().contains("extra.weight"), e.getMessage());
        }
    }

    @Test
    void doubleCopyAgreesWithFloatModel() {
        try (PointerScope scope = new PointerScope()) {
            UNet f = new UNet(UNetConfig.preset("tiny", 8, 3), 1);
            TestWeights.perturb(f, 2, 0.05);
            UNet d = f.toDouble();
            assertEquals(ScalarType.Double, d.dtype());
            assertEquals(ScalarType.Double, d.parameters().get(0).scalar_type().intern());
            Tensor x = new RandomStream(3).normal(2, 3, 8, 8);
            Tensor ef = f.predictNoise(x, timesteps(1f, 500f), null);
            Tensor ed = d.predictNoise(x.to(ScalarType.Double), timesteps(1f, 500f), null);
            assertTrue(ed.sub(ef.to(ScalarType.Double)).abs().max().item_double() < 1e-4);
            assertTrue(ef.abs().max().item_double() > 1e-3);
        }
    }

    @Test
    void dropoutMasksAreReproducibleFromTheStream() {
        try (PointerScope scope = new PointerScope()) {
            UNetConfig cfg = UNetConfig.preset("tiny", 8, 3).withOverrides(0, null, 0, null, 0, 0.5);
            UNet a = new UNet(cfg, 1);
            TestWeights.perturb(a, 2, 0.05);
            UNet b = new UNet(cfg, 5);
            b.copyWeightsFrom(a);
            Tensor x = new RandomStream(3).normal(2, 3, 8, 8);
            Tensor t = timesteps(1f, 2f);
            Tensor evalOut = a.predictNoise(x, t, null);
            a.train(true);
            b.train(true);
            b.dropoutStream(a.dropoutStream());
            Tensor a1 = a.predictNoise(x, t, null);
            Tensor a2 = a.predictNoise(x, t, null);
            assertFalse(a1.equal(a2), "a fresh mask per forward pass");
            assertFalse(a1.equal(evalOut));
            assertEquals(2, a.dropoutStream().counter() - b.dropoutStream().counter());
            assertTrue(b.predictNoise(x, t, null).equal(a1), "same stream state, same masks");
            a.train(false);
            assertTrue(a.predictNoise(x, t, null).equal(evalOut));
        }
    }
}
