package org.atdiff.prep;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetSummaryTest {
    private static PreparedImage image(long id, int label, byte... pixels) {
        return new PreparedImage(id, label, "l" + label, id % 2 == 0 ? "train" : "test", new Pixels(1, 1, pixels.length, pixels),
                "src" + id, null);
    }

    @Test
    void meanAndStdAreThePopulationMomentsPerChannel() {
        DatasetSummary s = new DatasetSummary(1);
        s.add(image(0, 0, (byte) 0, (byte) 10));
        s.add(image(1, 1, (byte) 20, (byte) 30));
        assertEquals(15.0, s.mean()[0], 1e-12);
        assertEquals(Math.sqrt((225 + 25 + 25 + 225) / 4.0), s.std()[0], 1e-12);
        assertEquals(2, s.rows());
        assertEquals(1L, s.splits().get("train"));
        assertEquals(1L, s.labels().get(1));
    }

    @Test
    void mergingInAnyGroupingAndOrderGivesTheSameSummary() {
        List<PreparedImage> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) all.add(image(i, i % 3, (byte) (i * 7), (byte) (255 - i)));
        all.add(PreparedImage.rejected(99, "bad.png", "corrupt"));
        DatasetSummary one = new DatasetSummary(1);
        all.forEach(one::add);
        DatasetSummary a = new DatasetSummary(1), b = new DatasetSummary(1), c = new DatasetSummary(1);
        for (int i = all.size() - 1; i >= 0; i--) (i % 3 == 0 ? a : i % 3 == 1 ? b : c).add(all.get(i));
        DatasetSummary merged = c.merge(a).merge(b);
        assertEquals(one.checksum(), merged.checksum());
        assertArrayEquals(one.mean(), merged.mean());
        assertArrayEquals(one.std(), merged.std());
        assertEquals(one.labels(), merged.labels());
        assertEquals(1, merged.rejected());
        assertEquals(List.of("bad.png: corrupt"), merged.rejectedExamples());
        DatasetSummary changed = new DatasetSummary(1);
        all.forEach(p -> changed.add(p.id() == 5 ? image(5, 2, (byte) 1, (byte) 250) : p));
        assertNotEquals(one.checksum(), changed.checksum());
    }
}
