package org.atdiff.jobs.bench;

import java.util.Arrays;
import java.util.List;

/** Medians of measured times. */
final class Timings {
    private Timings() {}

    static double median(double[] xs) {
        if (xs.length == 0) throw new IllegalArgumentException("no timings");
        double[] s = xs.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : 0.5 * (s[m - 1] + s[m]);
    }

    static double median(List<Double> xs) {
        return median(xs.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
