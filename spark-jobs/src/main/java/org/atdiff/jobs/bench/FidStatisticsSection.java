package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atdiff.io.Npz;
import org.atdiff.io.NpyArray;
import org.atdiff.random.RandomStream;
import org.atdiff.stats.FeatureMoments;
import org.atdiff.stats.FrechetDistance;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/** {@code fid}: feature moments of two sets of feature-like vectors and their Frechet distance, beside scipy's sqrtm. */
final class FidStatisticsSection extends NamedSection {
    private static final int CHUNK = 1000;

    FidStatisticsSection() {
        super("fid", true);
    }

    @Override
    public void run(BenchContext c) throws Exception {
        BenchSettings s = c.settings();
        BenchTable t = c.table("fid statistics", "step", "engine", "seconds");
        int n = s.fidCount(), d = s.fidDimension();
        FeatureMoments[] sets = {new FeatureMoments(d), new FeatureMoments(d)};
        double aggregate = 0;
        for (int k = 0; k < 2; k++) {
            RandomStream rng = new RandomStream(20 + k);
            for (int offset = 0; offset < n; offset += CHUNK) {
                try (PointerScope scope = new PointerScope()) {
                    int rows = Math.min(CHUNK, n - offset);
                    // feature-like data: correlated, offset, and the second set shifted and scaled
                    Tensor z = rng.normal(new long[] {rows, d});
                    Tensor f = z.add(z.roll(new long[] {1}, new long[] {1}).mul(new Scalar(0.5))).mul(new Scalar(1 + 0.1 * k))
                            .add(new Scalar(0.3 + 0.05 * k));
                    long start = System.nanoTime();
                    sets[k].add(f);
                    aggregate += (System.nanoTime() - start) * 1e-9;
                }
            }
        }
        t.add(String.format("FeatureMoments.add, 2 x %,d vectors of %d", n, d), "atdiff", aggregate);
        long start = System.nanoTime();
        double ours = FrechetDistance.between(sets[0], sets[1]);
        t.add("FrechetDistance (eigh)", "atdiff", (System.nanoTime() - start) * 1e-9);
        if (c.python() != null) {
            Path npz = Files.createTempFile("atdiff-bench-fid", ".npz");
            try {
                Map<String, NpyArray> arrays = new LinkedHashMap<>();
                arrays.put("mu1", NpyArray.float64(sets[0].mean(), d));
                arrays.put("sigma1", NpyArray.float64(sets[0].covariance(), d, d));
                arrays.put("mu2", NpyArray.float64(sets[1].mean(), d));
                arrays.put("sigma2", NpyArray.float64(sets[1].covariance(), d, d));
                Npz.write(npz, arrays);
                JsonNode a = c.python().request(PythonReference.command("sqrtm").put("npz", npz.toString()));
                t.add("scipy.linalg.sqrtm (pytorch-fid)", "scipy", a.get("seconds").asDouble());
                t.note(String.format("distance: atdiff %.6f, scipy %.6f", ours, a.get("fid").asDouble()));
            } finally {
                Files.deleteIfExists(npz);
            }
        } else {
            t.note(String.format("distance: atdiff %.6f (scipy not run)", ours));
        }
        t.print(System.out);
    }
}
