package org.atdiff.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.openblas.presets.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EngineThreadsTest {
    private final int torchBefore = torch.get_num_threads();

    @AfterEach
    void restore() {
        EngineThreads.use(torchBefore);
    }

    @Test
    void libtorchGetsTheThreadsAndOpenBlasOne() {
        EngineThreads.use(2);
        assertEquals(2, torch.get_num_threads());
        assertEquals(1, openblas_nolapack.blas_get_num_threads());
        EngineThreads.use(1);
        assertEquals(1, torch.get_num_threads());
        assertEquals(1, openblas_nolapack.blas_get_num_threads());
    }

    @Test
    void withBlasThreadsRestoresTheCountEvenWhenTheWorkFails() {
        EngineThreads.use(2);
        int inside = EngineThreads.withBlasThreads(2, openblas_nolapack::blas_get_num_threads);
        assertEquals(2, inside);
        assertEquals(1, openblas_nolapack.blas_get_num_threads());
        assertThrows(IllegalStateException.class, () -> EngineThreads.withBlasThreads(2, () -> {
            throw new IllegalStateException("work failed");
        }));
        assertEquals(1, openblas_nolapack.blas_get_num_threads());
    }

    @Test
    void rejectsFewerThanOneThread() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EngineThreads.use(0));
        assertEquals("engine threads must be >= 1 but is 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EngineThreads.withBlasThreads(0, () -> 1));
    }

    @Test
    void engineThreadsZeroMeansTheCoresGiven() {
        assertEquals(3, EngineThreads.resolve(3, 8));
        assertEquals(8, EngineThreads.resolve(0, 8));
        assertEquals(1, EngineThreads.resolve(0, 0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EngineThreads.resolve(-1, 8)).getMessage()
                .contains("engine.threads"));
    }
}
