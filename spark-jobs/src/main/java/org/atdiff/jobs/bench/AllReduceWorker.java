package org.atdiff.jobs.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.atdiff.jobs.cluster.GlooGroup;
import org.atdiff.tensor.EngineThreads;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One rank of the all-reduce benchmark, a process of its own: {@code AllReduceWorker rank worldSize reps floats...}.
 * Joins a {@link GlooGroup} on loopback (rank 0's store address travels through the parent: a line
 * {@code GATHER <message>} out, the tab-separated messages of all ranks in), then times {@code reps} all-reduces (sum
 * and division by the world size, as in training) of each size and prints {@code RESULT <floats> <seconds>...}.
 */
public final class AllReduceWorker {
    private AllReduceWorker() {}

    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]);
        int world = Integer.parseInt(args[1]);
        int reps = Integer.parseInt(args[2]);
        EngineThreads.use(1);
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        GlooGroup.AllGather viaParent = message -> {
            System.out.println("GATHER " + message);
            System.out.flush();
            return stdin.readLine().split("\t", -1);
        };
        try (GlooGroup group = GlooGroup.join(rank, world, "127.0.0.1", "atdiff-bench/", Duration.ofMinutes(5), viaParent)) {
            for (int i = 3; i < args.length; i++) {
                long floats = Long.parseLong(args[i]);
                StringBuilder line = new StringBuilder("RESULT ").append(floats);
                try (PointerScope scope = new PointerScope()) {
                    Tensor flat = torch.ones(floats);
                    group.allReduceMean(flat); // warm-up: connections and buffers
                    for (int r = 0; r < reps; r++) {
                        long start = System.nanoTime();
                        group.allReduceMean(flat);
                        line.append(' ').append((System.nanoTime() - start) * 1e-9);
                    }
                }
                System.out.println(line);
                System.out.flush();
            }
        }
    }
}
