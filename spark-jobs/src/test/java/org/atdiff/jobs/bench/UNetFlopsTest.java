package org.atdiff.jobs.bench;

import static org.junit.jupiter.api.Assertions.*;

import org.atdiff.nn.UNetConfig;
import org.junit.jupiter.api.Test;

class UNetFlopsTest {
    @Test
    void tinyUNetCountedLayerByLayer() {
        // tiny at 8x8x3: base 32, mult [1, 2], one res block per level, attention at 4x4, embedding 128
        long conv3 = 2L * 9; // per in-channel x out-channel x output pixel
        long expected = 2L * 32 * 128 + 2L * 128 * 128 // time embedding MLP
                + conv3 * 3 * 32 * 64 // input conv
                + conv3 * 32 * 32 * 64 * 2 + 2L * 128 * 64 // down res block 32->32 at 8x8
                + conv3 * 32 * 32 * 16 // downsample to 4x4
                + conv3 * 32 * 64 * 16 + conv3 * 64 * 64 * 16 + 2L * 32 * 64 * 16 + 2L * 128 * 128 // res 32->64 at 4x4
                + attention(64, 16)
                + 2 * (conv3 * 64 * 64 * 16 * 2 + 2L * 128 * 128) + attention(64, 16) // middle block
                // up level 1 at 4x4: res (64+64)->64, attention; res (64+32)->64, attention, upsample conv at 8x8
                + conv3 * 128 * 64 * 16 + conv3 * 64 * 64 * 16 + 2L * 128 * 64 * 16 + 2L * 128 * 128 + attention(64, 16)
                + conv3 * 96 * 64 * 16 + conv3 * 64 * 64 * 16 + 2L * 96 * 64 * 16 + 2L * 128 * 128 + attention(64, 16)
                + conv3 * 64 * 64 * 64
                // up level 0 at 8x8: res (64+32)->32, res (32+32)->32
                + conv3 * 96 * 32 * 64 + conv3 * 32 * 32 * 64 + 2L * 96 * 32 * 64 + 2L * 128 * 64
                + conv3 * 64 * 32 * 64 + conv3 * 32 * 32 * 64 + 2L * 64 * 32 * 64 + 2L * 128 * 64
                + conv3 * 32 * 3 * 64; // output conv
        UNetConfig tiny = UNetConfig.preset("tiny", 8, 3);
        assertEquals(expected, UNetFlops.forward(tiny));
        assertEquals(3 * expected, UNetFlops.trainingStep(tiny));
    }

    @Test
    void resblockResamplingCountsAResBlockAtTheNewResolution() {
        // tiny at 8x8x3 with resblock up/down-sampling: the 3x3 stride-2 conv (32 -> 32 at 4x4) becomes a res block
        // 32 -> 32 at 4x4, the upsampling conv (64 -> 64 at 8x8) a res block 64 -> 64 at 8x8; a learned sigma
        // doubles the output conv's channels
        UNetConfig tiny = UNetConfig.preset("tiny", 8, 3);
        long conv3 = 2L * 9;
        long down = conv3 * 32 * 32 * 16 * 2 + 2L * 128 * 64 - conv3 * 32 * 32 * 16;
        long up = conv3 * 64 * 64 * 64 * 2 + 2L * 128 * 128 - conv3 * 64 * 64 * 64;
        assertEquals(UNetFlops.forward(tiny) + down + up, UNetFlops.forward(tiny.withLayout(null, true, null)));
        assertEquals(UNetFlops.forward(tiny) + conv3 * 32 * 3 * 64, UNetFlops.forward(tiny.withLearnSigma(true)));
    }

    private static long attention(long c, long n) {
        return 2 * c * 3 * c * n + 4 * n * n * c + 2 * c * c * n;
    }

    @Test
    void largerPresetsCostMore() {
        long tiny = UNetFlops.forward(UNetConfig.preset("tiny", 32, 3));
        long small = UNetFlops.forward(UNetConfig.preset("small", 32, 3));
        long adm = UNetFlops.forward(UNetConfig.preset("cifar10-adm", 32, 3));
        assertTrue(tiny < small && small < adm, tiny + " " + small + " " + adm);
        // convolution FLOPs grow with the square of the image side
        assertTrue(UNetFlops.forward(UNetConfig.preset("small", 64, 3)) > 3.9 * small);
    }
}
