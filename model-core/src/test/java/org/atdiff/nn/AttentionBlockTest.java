package org.atdiff.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atdiff.SingleThreadedTorch;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.AutocastScope;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The attention block under bf16 autocast: its projections run in bf16, the attention itself in float32, and autocast
 * is on again afterwards; the result stays within bf16 rounding of the float32 block.
 */
@ExtendWith(SingleThreadedTorch.class)
class AttentionBlockTest {
    @Test
    void underBf16AutocastTheAttentionRunsInFloat32AndAutocastStaysOn() {
        try (PointerScope scope = new PointerScope()) {
            ParameterStore store = new ParameterStore(new RandomStream(1), ScalarType.Float);
            AttentionBlock block = new AttentionBlock(store, "attn", 64, 32, UNetConfig.AttentionOrder.HEADS_FIRST);
            try (NoGradGuard g = new NoGradGuard()) { // proj_out starts at zero: give it weights
                RandomStream r = new RandomStream(2);
                Tensor proj = store.parameters().get("attn.proj_out.weight");
                proj.copy_(r.normal(proj.sizes().vec().get()).mul(new Scalar(0.1)));
            }
            Tensor x = new RandomStream(3).normal(new long[] {2, 64, 8, 8}).contiguous(torch.MemoryFormat.ChannelsLast);
            Tensor exact = block.forward(x, null);
            Tensor mixed;
            try (AutocastScope autocast = AutocastScope.on(ScalarType.BFloat16)) {
                mixed = block.forward(x, null);
                assertTrue(AutocastScope.enabled(), "autocast is on again after the float32 attention");
            }
            assertEquals(ScalarType.Float, mixed.scalar_type().intern(), "x + bf16 projection promotes to float32");
            Tensor residual = exact.sub(x), mixedResidual = mixed.sub(x);
            double rel = mixedResidual.sub(residual).norm().item_double() / residual.norm().item_double();
            assertTrue(rel > 0 && rel < 2e-2, "bf16 attention block relative error " + rel);
        }
    }
}
