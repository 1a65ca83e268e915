package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShapesDatasetTest {
    @Test
    void renderingIsDeterministicAndDependsOnIndexAndSeed() {
        ShapesDataset.Sample a = ShapesDataset.render(17, 32, 5);
        ShapesDataset.Sample b = ShapesDataset.render(17, 32, 5);
        assertArrayEquals(a.pixels().chw(), b.pixels().chw());
        assertEquals(a.label(), b.label());
        assertFalse(java.util.Arrays.equals(a.pixels().chw(), ShapesDataset.render(18, 32, 5).pixels().chw()));
        assertFalse(java.util.Arrays.equals(a.pixels().chw(), ShapesDataset.render(17, 32, 6).pixels().chw()));
    }

    @Test
    void tenBalancedClassesAt32By32Rgb() {
        assertTrue(ShapesDataset.classes() >= 10);
        int[] counts = new int[ShapesDataset.classes()];
        for (int i = 0; i < 100; i++) {
            ShapesDataset.Sample s = ShapesDataset.render(i, 32, 0);
            assertEquals(3, s.pixels().channels());
            assertEquals(32, s.pixels().height());
            assertEquals(32, s.pixels().width());
            counts[s.label()]++;
        }
        for (int c : counts) assertEquals(10, c);
    }

    @Test
    void everyShapeIsNonEmptyAndDistinctFromEveryOther() {
        int n = ShapesDataset.classes();
        int grid = 64;
        boolean[][] masks = new boolean[n][grid * grid];
        for (int k = 0; k < n; k++) {
            int area = 0;
            for (int i = 0; i < grid * grid; i++) {
                double u = ((i % grid) + 0.5) / grid * 2 - 1, v = ((i / grid) + 0.5) / grid * 2 - 1;
                masks[k][i] = ShapesDataset.inside(k, u, v);
                if (masks[k][i]) area++;
            }
            assertTrue(area > grid * grid / 10, ShapesDataset.LABEL_NAMES.get(k) + " covers " + area);
        }
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                int inter = 0, union = 0;
                for (int i = 0; i < grid * grid; i++) {
                    if (masks[a][i] && masks[b][i]) inter++;
                    if (masks[a][i] || masks[b][i]) union++;
                }
                assertTrue(inter < 0.85 * union, ShapesDataset.LABEL_NAMES.get(a) + " vs " + ShapesDataset.LABEL_NAMES.get(b));
            }
        }
    }

    @Test
    void imagesVaryInColourAndTheShapeStandsOut() {
        Set<Integer> firstPixels = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            Pixels p = ShapesDataset.render(i, 32, 0).pixels();
            firstPixels.add(p.get(0, 0, 0) << 16 | p.get(1, 0, 0) << 8 | p.get(2, 0, 0));
            // the centre region holds a shape, so the image is not a plain gradient: some rows are not constant
            int distinct = 0;
            for (int x = 1; x < 32; x++) if (Math.abs(p.get(0, 16, x) - p.get(0, 16, x - 1)) + Math.abs(p.get(1, 16, x) - p.get(1, 16, x - 1)) > 20) distinct++;
            int rowsWithEdges = 0;
            for (int y = 0; y < 32; y++) {
                for (int x = 1; x < 32; x++) {
                    int d = 0;
                    for (int c = 0; c < 3; c++) d += Math.abs(p.get(c, y, x) - p.get(c, y, x - 1));
                    if (d > 40) { rowsWithEdges++; break; }
                }
            }
            assertTrue(rowsWithEdges >= 4, "image " + i + " has edges in " + rowsWithEdges + " rows");
        }
        assertTrue(firstPixels.size() > 40);
    }

    @Test
    void whiteShapesAreGreyWhiteOnBlackWithTheColouredLabels() {
        for (int i = 0; i < 30; i++) {
            ShapesDataset.Sample white = ShapesDataset.render(i, 16, 3, ShapesDataset.Palette.WHITE_ON_BLACK);
            assertEquals(ShapesDataset.render(i, 16, 3).label(), white.label());
            Pixels w = white.pixels();
            int lit = 0, full = 0, black = 0;
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    int v = w.get(0, y, x);
                    assertEquals(v, w.get(1, y, x), "grey: equal channels");
                    assertEquals(v, w.get(2, y, x), "grey: equal channels");
                    if (v > 0) lit++;
                    if (v == 255) full++;
                    if (v == 0) black++;
                }
            }
            assertTrue(full > 4, "image " + i + " has a solid shape: " + full + " white pixels");
            assertTrue(black > 16 * 16 / 3, "image " + i + " has a black background: " + black + " black pixels");
            assertTrue(lit - full < 4 * 16, "only the shape's edge is partly covered: " + (lit - full));
        }
    }

    @Test
    void tooSmallSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ShapesDataset.render(0, 4, 0));
    }
}
