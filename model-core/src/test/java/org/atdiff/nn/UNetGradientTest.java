package org.atdiff.nn;

import org.atdiff.SingleThreadedTorch;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Finite-difference checks of the U-Net's gradients in double precision: dL/d(delta) for
 * L = mean((eps_theta(x + delta, t, y) - target)^2) and dL/d(theta) at random coordinates, both from one backward.
 */
@ExtendWith(SingleThreadedTorch.class)
class UNetGradientTest {

    private static final double H = 1e-6;

    // 8x8 images, two levels, attention at 4x4 with two heads, class-conditional: every kind of block is on the path
    private static final UNetConfig CONFIG = new UNetConfig("gradcheck", 2, 8, 8, new int[] {1, 2}, 1,
            new int[] {4}, 8, 0.0, 3);

    /** Also in guided-diffusion's layout (cifar10-adm's): resblock down/up-sampling and qkv-first attention. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void inputAndParameterGradientsMatchCentralDifferences(boolean guidedLayout) {
        try (PointerScope scope = new PointerScope()) {
            UNetConfig config = guidedLayout ? CONFIG.withLayout(null, true, UNetConfig.AttentionOrder.QKV_FIRST) : CONFIG;
            UNet model = new UNet(config, 11, ScalarType.Double);
            TestWeights.perturb(model, 12, 0.3); // zero-initialised output layers would make every gradient vanish
            RandomStream rs = new RandomStream(13);
            double[] x = HostTensors.toDoubles(rs.normal(2, 2, 8, 8));
            Tensor target = rs.normal(2, 2, 8, 8).to(ScalarType.Double);
            Tensor t = HostTensors.fromFloats(new float[] {3.5f, 700f}, 2);
            Tensor labels = HostTensors.fromLongs(new long[] {0, 2}, 2);

            Tensor delta = HostTensors.fromDoubles(new double[x.length], 2, 2, 8, 8);
            delta.set_requires_grad(true);
            Tensor loss = loss(model, HostTensors.fromDoubles(x, 2, 2, 8, 8).add(delta), t, labels, target);
            loss.backward();
            double[] gx = HostTensors.toDoubles(delta.grad());
            double norm = 0;
            for (double g : gx) norm += g * g;
            assertTrue(Math.sqrt(norm) > 1e-3, "input gradient is (nearly) zero: " + Math.sqrt(norm));

            RandomStream pick = new RandomStream(14);
            for (int n = 0; n < 30; n++) {
                int i = pick.nextInt(x.length);
                double saved = x[i];
                x[i] = saved + H;
                double plus = lossValue(model, HostTensors.fromDoubles(x, 2, 2, 8, 8), t, labels, target);
                x[i] = saved - H;
                double minus = lossValue(model, HostTensors.fromDoubles(x, 2, 2, 8, 8), t, labels, target);
                x[i] = saved;
                assertClose((plus - minus) / (2 * H), gx[i], "dL/dx[" + i + "]");
            }

            Map<String, Tensor> params = model.stateDict();
            // the resampling layers: a stride-2 conv and an upsampling conv, or a down and an up resblock
            String[] resampling = guidedLayout
                    ? new String[] {"input_blocks.2.0.in_layers.2.weight", "output_blocks.1.2.in_layers.2.weight"}
                    : new String[] {"input_blocks.2.0.op.weight", "output_blocks.1.2.conv.weight"};
            for (String name : new String[] {"input_blocks.0.0.weight", "time_embed.0.weight", "label_emb.weight",
                    "input_blocks.1.0.emb_layers.1.weight", "input_blocks.3.1.qkv.weight", "middle_block.1.proj_out.weight",
                    "middle_block.0.in_layers.0.weight", resampling[0], resampling[1],
                    "output_blocks.0.0.skip_connection.weight", "out.2.bias"}) {
                Tensor p = params.get(name);
                assertNotNull(p, name);
                double[] g = HostTensors.toDoubles(p.grad());
                DoublePointer data = p.data_ptr_double();
                for (int n = 0; n < 3; n++) {
                    int i = name.equals("label_emb.weight") ? pick.nextInt(32) : pick.nextInt(g.length); // rows 0 and 2 are used
                    double saved = data.get(i);
                    data.put(i, saved + H);
                    double plus = lossValue(model, HostTensors.fromDoubles(x, 2, 2, 8, 8), t, labels, target);
                    data.put(i, saved - H);
                    double minus = lossValue(model, HostTensors.fromDoubles(x, 2, 2, 8, 8), t, labels, target);
                    data.put(i, saved);
                    assertClose((plus - minus) / (2 * H), g[i], "dL/d" + name + "[" + i + "]");
                }
            }
        }
    }

    private static Tensor loss(UNet model, Tensor x, Tensor t, Tensor labels, Tensor target) {
        return model.predictNoise(x, t, labels).sub(target).square().mean();
    }

    private static double lossValue(UNet model, Tensor x, Tensor t, Tensor labels, Tensor target) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            return loss(model, x, t, labels, target).item_double();
        }
    }

    private static void assertClose(double fd, double analytic, String what) {
        double diff = Math.abs(fd - analytic);
        double rel = diff / Math.max(Math.max(Math.abs(fd), Math.abs(analytic)), 1e-9);
        // round-off of a central difference in double: about 1e-16 |L| / H = 1e-10 |L|, so a floor of 1e-9
        assertTrue(rel < 1e-5 || diff < 1e-9, what + ": finite difference " + fd + " vs backward " + analytic + " (rel " + rel + ")");
    }
}
