package org.atdiff.random;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class RandomStreamTest {
    @Test
    void sameSeedAndCounterGiveSameDraws() {
        RandomStream a = new RandomStream(42);
        a.gaussians(7);
        RandomStream b = new RandomStream(42, a.counter());
        assertArrayEquals(a.gaussians(100), b.gaussians(100));
    }

    @Test
    void derivedStreamsDifferAndAreReproducible() {
        RandomStream s = new RandomStream(1);
        assertArrayEquals(s.derive(5).gaussians(10), new RandomStream(1).derive(5).gaussians(10));
        assertNotEquals(s.derive(5).nextLong(), s.derive(6).nextLong());
    }

    @Test
    void gaussianMomentsAreStandard() {
        float[] g = new RandomStream(7).gaussians(200_000);
        double m = 0, v = 0;
        for (float x : g) m += x;
        m /= g.length;
        for (float x : g) v += (x - m) * (x - m);
        v /= g.length;
        assertEquals(0, m, 0.01);
        assertEquals(1, v, 0.01);
    }
}
