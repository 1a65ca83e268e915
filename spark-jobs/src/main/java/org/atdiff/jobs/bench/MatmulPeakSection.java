package org.atdiff.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** {@code peak}: the fp32 and bf16 matrix-product peaks of libtorch (and PyTorch 1.13), the roofs of later tables. */
final class MatmulPeakSection extends NamedSection {
    private static final int SIZE = 2048;
    private static final int REPS = 10;

    MatmulPeakSection() {
        super("peak", true);
    }

    @Override
    public void run(BenchContext c) throws IOException {
        BenchTable t = c.table("matmul peak", "engine", "dtype", "n", "median_s", "gflops");
        for (String dtype : List.of("fp32", "bf16")) {
            double sec = Timings.median(MatmulPeak.seconds(SIZE, dtype.equals("fp32") ? ScalarType.Float : ScalarType.BFloat16, REPS));
            double g = MatmulPeak.gflops(SIZE, sec);
            c.peak("atdiff " + dtype, g);
            t.add("atdiff (libtorch 2.10)", dtype, SIZE, sec, g);
            if (c.python() != null) {
                JsonNode a = c.python().request(PythonReference.command("mm").put("n", SIZE).put("dtype", dtype).put("reps", REPS));
                double ps = Timings.median(BenchContext.doubles(a.get("seconds")));
                t.add("pytorch 1.13", dtype, SIZE, ps, MatmulPeak.gflops(SIZE, ps));
            }
        }
        t.print(System.out);
    }
}
