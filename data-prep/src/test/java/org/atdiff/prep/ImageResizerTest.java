package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ImageResizerTest {
    private static Pixels grey(int h, int w, int... values) {
        byte[] b = new byte[h * w];
        for (int i = 0; i < b.length; i++) b[i] = (byte) values[i];
        return new Pixels(1, h, w, b);
    }

    @Test
    void targetShapeIsReturnedByteForByte() {
        Pixels p = TinyInputs.random(3, 8, 8, 1);
        for (ImageResizer.Filter f : ImageResizer.Filter.values()) {
            assertArrayEquals(p.chw(), new ImageResizer(8, 3, f).fit(p).chw());
        }
    }

    @Test
    void areaHalvingAveragesTwoByTwoBlocks() {
        Pixels p = grey(4, 4, 0, 10, 20, 30, 40, 50, 60, 70, 1, 3, 5, 7, 100, 200, 0, 2);
        Pixels out = new ImageResizer(2, 1, ImageResizer.Filter.AREA).fit(p);
        assertArrayEquals(new byte[] {25, 45, 76, 4}, out.chw()); // (0+10+40+50)/4, (20+30+60+70)/4, (1+3+100+200)/4, 14/4
    }

    @Test
    void areaWeighsByOverlapForNonIntegerScales() {
        // 3 -> 2 columns: output 0 covers [0, 1.5): (a0 + 0.5 a1) / 1.5; output 1 covers [1.5, 3): (0.5 a1 + a2) / 1.5
        Pixels row = grey(3, 3, 0, 90, 180, 0, 90, 180, 0, 90, 180);
        Pixels out = new ImageResizer(2, 1, ImageResizer.Filter.AREA).fit(row);
        assertEquals(30, out.get(0, 0, 0));
        assertEquals(150, out.get(0, 0, 1));
        assertEquals(30, out.get(0, 1, 0));
    }

    @Test
    void constantImagesStayConstantUnderBothFilters() {
        Pixels p = grey(5, 5, new int[25]);
        java.util.Arrays.fill(p.chw(), (byte) 77);
        for (ImageResizer.Filter f : ImageResizer.Filter.values()) {
            for (int size : new int[] {2, 3, 9}) {
                for (byte b : new ImageResizer(size, 1, f).fit(p).chw()) assertEquals(77, b & 0xFF, f + " to " + size);
            }
        }
    }

    @Test
    void bicubicKeepsALinearRampLinearInTheInterior() {
        int[] v = new int[8 * 8];
        for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) v[y * 8 + x] = 10 * x;
        Pixels out = new ImageResizer(16, 1, ImageResizer.Filter.BICUBIC).fit(grey(8, 8, v));
        // Cubic convolution reproduces linear functions (Keys 1981): output x samples input at (x + 0.5) / 2 - 0.5.
        for (int x = 3; x < 13; x++) assertEquals(10 * ((x + 0.5) / 2 - 0.5), out.get(0, 5, x), 0.51, "x=" + x);
    }

    @Test
    void centreCropKeepsTheMiddleOfTheLongerSide() {
        Pixels p = grey(2, 4, 1, 2, 3, 4, 5, 6, 7, 8);
        Pixels out = new ImageResizer(2, 1, ImageResizer.Filter.AREA).fit(p);
        assertArrayEquals(new byte[] {2, 3, 6, 7}, out.chw());
        Pixels tall = grey(3, 1, 1, 2, 3);
        assertArrayEquals(new byte[] {2}, new ImageResizer(1, 1, ImageResizer.Filter.AREA).fit(tall).chw());
    }

    @Test
    void channelConversionUsesBt601LumaAndReplication() {
        Pixels rgb = new Pixels(3, 1, 2, new byte[] {(byte) 255, 0, 0, (byte) 255, 0, 100});
        Pixels g = new ImageResizer(1, 1, ImageResizer.Filter.AREA).fit(new Pixels(3, 1, 1, new byte[] {(byte) 200, 100, 50}));
        assertEquals(Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50), g.get(0, 0, 0));
        Pixels back = ImageResizer.toGrey(rgb);
        assertEquals(76, back.get(0, 0, 0)); // 0.299 * 255
        assertEquals(161, back.get(0, 0, 1)); // 0.587 * 255 + 0.114 * 100
        Pixels rep = new ImageResizer(2, 3, ImageResizer.Filter.AREA).fit(grey(2, 2, 9, 8, 7, 6));
        assertArrayEquals(new byte[] {9, 8, 7, 6, 9, 8, 7, 6, 9, 8, 7, 6}, rep.chw());
    }

    @Test
    void badSettingsAreRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageResizer.Filter.named("lanczos"));
        assertTrue(e.getMessage().contains("image.resize"));
        e = assertThrows(IllegalArgumentException.class, () -> new ImageResizer(8, 2, ImageResizer.Filter.AREA));
        assertTrue(e.getMessage().contains("image.channels"));
    }
}
