package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
    @Test
    void pngRoundTripIsExactInChwOrder() throws Exception {
        for (int channels : new int[] {1, 3}) {
            Pixels p = TinyInputs.random(channels, 5, 7, channels);
            Pixels back = ImageDecoder.decode(TinyInputs.encode(p, "png"));
            assertEquals(channels, back.channels());
            assertEquals(5, back.height());
            assertEquals(7, back.width());
            assertArrayEquals(p.chw(), back.chw());
        }
    }

    @Test
    void bmpRoundTripIsExact() throws Exception {
        Pixels p = TinyInputs.random(3, 4, 6, 9);
        assertArrayEquals(p.chw(), ImageDecoder.decode(TinyInputs.encode(p, "bmp")).chw());
    }

    @Test
    void paletteGifDecodesToRgbOfThePalette() throws Exception {
        byte[] r = {0, (byte) 255, 0, 0}, g = {0, 0, (byte) 255, 0}, b = {0, 0, 0, (byte) 255};
        // 8x8: the JDK GIF writer loses pixels of interlaced images smaller than that
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(2, 4, r, g, b));
        img.getRaster().setSample(0, 0, 0, 1);
        img.getRaster().setSample(1, 0, 0, 2);
        img.getRaster().setSample(2, 1, 0, 3);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "gif", out));
        Pixels p = ImageDecoder.decode(out.toByteArray());
        assertEquals(3, p.channels());
        assertEquals(255, p.get(0, 0, 0));
        assertEquals(0, p.get(1, 0, 0));
        assertEquals(255, p.get(1, 0, 1));
        assertEquals(255, p.get(2, 1, 2));
        assertEquals(0, p.get(0, 1, 2));
    }

    @Test
    void sixteenBitGreyIsScaledToEightBits() throws Exception {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setSample(0, 0, 0, 65535);
        img.getRaster().setSample(1, 0, 0, 257 * 100);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "png", out));
        Pixels p = ImageDecoder.decode(out.toByteArray());
        assertEquals(1, p.channels());
        assertEquals(255, p.get(0, 0, 0));
        assertEquals(100, p.get(0, 0, 1));
    }

    @Test
    void jpegIsCloseToTheOriginal() throws Exception {
        Pixels p = TinyInputs.smooth(3, 32, 32, 1);
        Pixels back = ImageDecoder.decode(TinyInputs.encode(p, "jpeg"));
        assertEquals(3, back.channels());
        double err = 0;
        for (int i = 0; i < p.chw().length; i++) err += Math.abs((p.chw()[i] & 0xFF) - (back.chw()[i] & 0xFF));
        assertTrue(err / p.chw().length < 4, "mean abs error " + err / p.chw().length);
    }

    @Test
    void truncatedPngAndJpegAreRejectedWithAReason() throws Exception {
        for (String format : new String[] {"png", "jpeg"}) {
            byte[] full = TinyInputs.encode(TinyInputs.random(3, 16, 16, 3), format);
            byte[] cut = Arrays.copyOf(full, full.length / 2);
            UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(cut));
            assertTrue(e.getMessage().contains("corrupt"), format + ": " + e.getMessage());
        }
    }

    @Test
    void bytesThatAreNoImageAreRejected() {
        UnreadableImageException e = assertThrows(UnreadableImageException.class,
                () -> ImageDecoder.decode("hello, not an image".getBytes()));
        assertTrue(e.getMessage().contains("not a PNG"), e.getMessage());
        assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(new byte[0]));
    }

    @Test
    void pngEncoderWritesExactlyThePixelsTheDecoderReads() throws Exception {
        java.util.Random r = new java.util.Random(3);
        for (int c : new int[] {1, 3}) {
            byte[] chw = new byte[c * 5 * 7];
            r.nextBytes(chw);
            Pixels back = ImageDecoder.decode(PngEncoder.png(new Pixels(c, 5, 7, chw)));
            assertEquals(c, back.channels());
            assertEquals(5, back.height());
            assertEquals(7, back.width());
            org.junit.jupiter.api.Assertions.assertArrayEquals(chw, back.chw(), c + " channels");
        }
    }
}
