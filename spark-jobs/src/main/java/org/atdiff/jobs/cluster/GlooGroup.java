package org.atdiff.jobs.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.IntOptional;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * A c10d Gloo process group joined from Java: rank 0 serves a {@code TCPStore} bound to its own address on a free
 * port, every rank reaches it through a {@code PrefixStore} under a per-attempt key prefix (so a client of another
 * attempt or run cannot join), and collectives run on CPU tensors in place.
 *
 * <p>Close it in {@code finally} on every rank: a rank that leaves without closing keeps its peers blocked in a
 * collective until the timeout, while a closed rank makes their collectives fail at once ("Connection closed by peer").
 */
public final class GlooGroup implements AutoCloseable {
    /** Exchanges one message per rank among all ranks, returning them indexed by rank (in Spark: allGather). */
    @FunctionalInterface
    public interface AllGather {
        String[] allGather(String message) throws Exception;
    }

    /** The message of the exchange that ends a join. */
    static final String JOINED = "joined";
    private final int rank;
    private final int worldSize;
    private final Duration timeout;
    private final List<Pointer> owned = new ArrayList<>();
    private ProcessGroupGloo group;

    private GlooGroup(int rank, int worldSize, Duration timeout) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.timeout = timeout;
    }

    /**
     * Joins the group; returns once all {@code worldSize} ranks have joined, or throws after {@code timeout}.
     *
     * @param host      this rank's own address (the executor's host); rank 0 binds the store to it
     * @param keyPrefix store key prefix unique to this run and attempt, e.g. {@code atdiff/<runId>/<attempt>/}
     * @param timeout   timeout of the rendezvous and of every collective
     * @param exchange  how the ranks share rank 0's store address, then {@link #JOINED} once each has its group (two
     *                  exchanges per join)
     */
    public static GlooGroup join(int rank, int worldSize, String host, String keyPrefix, Duration timeout,
                                 AllGather exchange) throws Exception {
        if (worldSize < 1) throw new IllegalArgumentException("worldSize must be >= 1 but is " + worldSize);
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (worldSize - 1));
        }
        if (keyPrefix == null || keyPrefix.isEmpty()) throw new IllegalArgumentException("keyPrefix must not be empty");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive but is " + timeout);
        GlooGroup g = new GlooGroup(rank, worldSize, timeout);
        try {
            g.connect(host, keyPrefix, exchange);
            return g;
        } catch (Throwable t) {
            g.close();
            throw t;
        }
    }

    private void connect(String host, String keyPrefix, AllGather exchange) throws Exception {
        Milliseconds millis = own(new Milliseconds(timeout.toMillis()));
        TCPStore store = null;
        String message = "";
        Exception serverFailure = null;
        if (rank == 0) {
            try (StoreListenSocket socket = new StoreListenSocket(host)) {
                TCPStoreOptions opts = own(new TCPStoreOptions());
                opts.port((short) socket.port()).isServer(true).waitWorkers(false).timeout(millis);
                opts.masterListenFd(own(new IntOptional(socket.handOver())));
                store = own(new TCPStore(host, opts));
                message = host + ":" + socket.port();
            } catch (Exception e) {
                serverFailure = e; // still take part in the exchange, so the other ranks fail at once instead of waiting
            }
        }
        String root = exchange.allGather(message)[0];
        if (serverFailure != null) throw serverFailure;
        int colon = root.lastIndexOf(':');
        if (colon <= 0) throw new IllegalStateException("rank 0 published no store address (got '" + root + "')");
        if (rank != 0) {
            TCPStoreOptions opts = own(new TCPStoreOptions());
            opts.port((short) Integer.parseInt(root.substring(colon + 1))).isServer(false).timeout(millis);
            store = own(new TCPStore(root.substring(0, colon), opts));
        }
        PrefixStore prefixed = own(new PrefixStore(keyPrefix, store));
        ProcessGroupGloo.Options options = own(ProcessGroupGloo.Options.create(millis));
        options.devices().push_back(ProcessGroupGloo.createDeviceForHostname(host));
        group = own(new ProcessGroupGloo(prefixed, rank, worldSize, options));
        // Gloo's connectFullMesh can return on one rank while another still connects, and a rank that closed its group
        // then (a body with nothing to do) failed that peer's join ("Connection closed by peer", seen in CI): every
        // rank returns only once every rank has its group. A rank whose group fails throws instead (in Spark the
        // barrier stage then fails and its other tasks, waiting here, are killed).
        exchange.allGather(JOINED);
    }

    /** Keeps a native object alive until {@link #close()}, whether or not a PointerScope is open. */
    private <P extends Pointer> P own(P p) {
        p.retainReference();
        owned.add(p);
        return p;
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return worldSize;
    }

    /** Sums {@code flat} over all ranks in place, then divides by the world size: every rank gets the mean. */
    public void allReduceMean(Tensor flat) {
        allReduceSum(flat);
        try (PointerScope scope = new PointerScope()) {
            flat.div_(new Scalar((double) worldSize));
        }
    }

    /** Sums {@code flat} over all ranks in place. */
    public void allReduceSum(Tensor flat) {
        check(flat, "allReduceSum");
        try (PointerScope scope = new PointerScope()) {
            AllreduceOptions opts = new AllreduceOptions();
            opts.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
            opts.timeout(new Milliseconds(timeout.toMillis()));
            TensorVector tensors = new TensorVector(flat);
            group.allreduce(tensors, opts)._wait();
        }
    }

    /**
     * Every rank's {@code local} values concatenated in rank order, on every rank. Every rank must pass the same number
     * of values: each writes its own into its slot of a zero buffer of worldSize x n doubles, and a sum all-reduce
     * fills the others' slots exactly (x + 0 = x).
     */
    public double[] allGather(double[] local) {
        int n = local.length;
        double[] all = new double[Math.multiplyExact(n, worldSize)];
        System.arraycopy(local, 0, all, rank * n, n);
        if (worldSize == 1 || n == 0) return all;
        try (PointerScope scope = new PointerScope()) {
            Tensor buffer = HostTensors.fromDoubles(all, all.length);
            allReduceSum(buffer);
            return HostTensors.toDoubles(buffer);
        }
    }

    /** Overwrites {@code flat} on every rank with rank {@code root}'s values. */
    public void broadcast(Tensor flat, int root) {
        check(flat, "broadcast");
        if (root < 0 || root >= worldSize) throw new IllegalArgumentException("broadcast root " + root + " is outside 0.." + (worldSize - 1));
        try (PointerScope scope = new PointerScope()) {
            BroadcastOptions opts = new BroadcastOptions();
            opts.rootRank(root).rootTensor(0).timeout(new Milliseconds(timeout.toMillis()));
            TensorVector tensors = new TensorVector(flat);
            group.broadcast(tensors, opts)._wait();
        }
    }

    private void check(Tensor t, String op) {
        if (group == null) throw new IllegalStateException(op + " on a closed GlooGroup");
        if (t == null || !t.defined()) throw new IllegalArgumentException(op + ": tensor is null or undefined");
        if (!t.is_cpu() || !t.is_contiguous()) {
            throw new IllegalArgumentException(op + ": tensor must be a contiguous CPU tensor");
        }
    }

    /** Leaves the group and closes the store (and the store server on rank 0). Safe to call twice. */
    @Override
    public void close() {
        group = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).releaseReference();
        }
        owned.clear();
    }
}
