package org.atdiff.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.ipc.RemoteException;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.SparkContext;
import org.atdiff.jobs.command.CommandSession;

/**
 * The exclusive right of one command to write a directory (a run directory, a sample or score output): the file
 * {@value #FILE} in it, naming the holder (Spark application id, command, process, host, start time) and its latest
 * renewal time, which a daemon thread of the holder rewrites every quarter of {@code train.lease-timeout}.
 *
 * <p>{@link #acquire} creates the file only if it is absent: {@code FileSystem.create(path, overwrite = false)},
 * which the HDFS namenode decides atomically, and on local disks an exclusive create ({@code O_CREAT|O_EXCL};
 * Hadoop's local {@code create} checks and then opens, which two processes can both pass). When the file exists, a
 * live holder (renewed within the timeout) makes the command fail with one line naming it and the ways to take over;
 * an expired lease, or any lease with {@code train.take-over-lease = true}, is deleted and created anew. Object
 * stores do not give create-if-absent on Hadoop 3.3 (see docs/deploy.md). Every renewal first checks that the file
 * still holds this lease's token: if another command took it over, this one stops renewing and its
 * command is stopped ({@link #attach}), so two commands never keep writing one directory.
 *
 * <p>{@link #close} (and a JVM shutdown, e.g. Ctrl-C) releases the lease by deleting the file; a killed process
 * leaves it to expire. Hosts' clocks must agree to well within the timeout (the reader compares the holder's renewal
 * time with its own clock).
 */
public final class RunLease implements AutoCloseable {
    public static final String FILE = "lease.json";
    /** How long a reader waits for a lease file that is being written (empty or partial) to become readable. */
    private static final Duration UNREADABLE_GRACE = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A lease's content. {@code application} is empty until the holder's Spark application has started. */
    public record Holder(String token, String command, String application, long pid, String host, Instant started,
                         Instant renewed) {
        String json() {
            ObjectNode n = JSON.createObjectNode();
            n.put("token", token).put("command", command).put("application", application).put("pid", pid)
                    .put("host", host).put("started", started.toString()).put("renewed", renewed.toString());
            return n.toString() + "\n";
        }

        static Holder parse(String text) throws IOException {
            JsonNode n = JSON.readTree(text);
            if (n == null || !n.isObject()) throw new IOException("not a JSON object");
            try {
                return new Holder(field(n, "token"), field(n, "command"), field(n, "application"),
                        Long.parseLong(field(n, "pid")), field(n, "host"), Instant.parse(field(n, "started")),
                        Instant.parse(field(n, "renewed")));
            } catch (RuntimeException e) {
                throw new IOException("bad lease field: " + e.getMessage(), e);
            }
        }

        private static String field(JsonNode n, String name) throws IOException {
            JsonNode v = n.get(name);
            if (v == null || !v.isValueNode()) throw new IOException("no field " + name);
            return v.asText();
        }

        /** Who holds it, for messages: {@code application app-1 (atdiff train, pid 42 on host h, started ...)}. */
        public String describe() {
            if (token.isEmpty()) return "an unknown holder (the lease file is unreadable)";
            return (application.isEmpty() ? "a starting application" : "application " + application) + " (atdiff "
                    + command + ", pid " + pid + " on host " + host + ", started " + started + ")";
        }

        boolean expired(Instant now, Duration timeout) {
            return renewed.plus(timeout).isBefore(now);
        }
    }

    /** Thrown when a live lease is held by another command; the message is one line for the user. */
    public static final class HeldException extends IllegalStateException {
        private final Holder holder;

        HeldException(String message, Holder holder) {
            super(message);
            this.holder = holder;
        }

        public Holder holder() {
            return holder;
        }
    }

    private final FileSystem fs;
    private final Path file;
    private final LeaseSettings settings;
    private final Clock clock;
    private final ScheduledExecutorService renewer;
    private final Runnable shutdownHook;
    private Holder holder;
    private volatile String lostTo;
    private volatile Runnable attached;
    private boolean closed;

    private RunLease(FileSystem fs, Path file, LeaseSettings settings, Clock clock, Holder holder) {
        this.fs = fs;
        this.file = file;
        this.settings = settings;
        this.clock = clock;
        this.holder = holder;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "atdiff-lease-renewer " + file);
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, settings.renewEvery().toMillis());
        renewer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        this.shutdownHook = this::release;
        // Runs before Hadoop closes its cached file systems (priority 10).
        ShutdownHookManager.get().addShutdownHook(shutdownHook, FileSystem.SHUTDOWN_HOOK_PRIORITY + 20);
    }

    /**
     * Takes the lease of {@code dir} (created if missing) for {@code command}, or throws {@link HeldException} naming
     * the live holder. {@code key} names the setting that chose the directory (e.g. {@code run.dir}) in messages.
     */
    public static RunLease acquire(String key, String dir, String command, LeaseSettings settings, Configuration hadoop)
            throws IOException {
        return acquire(key, dir, command, settings, hadoop, Clock.systemUTC());
    }

    static RunLease acquire(String key, String dir, String command, LeaseSettings settings, Configuration hadoop,
                            Clock clock) throws IOException {
        Path root = new Path(dir);
        FileSystem fs = root.getFileSystem(hadoop);
        // The raw local file system: no .crc side files, whose checksums a rewrite in place would break.
        if (fs instanceof LocalFileSystem local) fs = local.getRaw();
        Path file = new Path(fs.makeQualified(root), FILE);
        fs.mkdirs(file.getParent());
        Instant now = clock.instant();
        Holder mine = new Holder(UUID.randomUUID().toString(), command, "", ProcessHandle.current().pid(), hostName(),
                now, now);
        for (int attempt = 0; attempt < 10; attempt++) {
            if (createIfAbsent(fs, file, mine.json())) return new RunLease(fs, file, settings, clock, mine);
            Optional<Holder> current = readSettled(fs, file, clock);
            if (current.isEmpty()) continue; // released meanwhile: try again
            Holder h = current.get();
            Instant t = clock.instant();
            boolean expired = h.expired(t, settings.timeout());
            if (!expired && !settings.takeOver()) throw held(key, dir, h, t, settings);
            System.err.printf("atdiff: %s %s: taking over the %s lease of %s%n", key, dir,
                    expired ? "expired" : "live (train.take-over-lease=true)", h.describe());
            breakLease(fs, file, h);
        }
        throw new IllegalStateException(key + " " + dir + ": could not take the lease " + file + " in 10 attempts "
                + "(other commands keep taking it)");
    }

    private static HeldException held(String key, String dir, Holder h, Instant now, LeaseSettings settings) {
        long ago = Math.max(0, Duration.between(h.renewed(), now).toSeconds());
        return new HeldException(key + " " + dir + " is in use by " + h.describe() + ", lease renewed " + ago + " s ago"
                + " (" + new Path(dir, FILE) + "); wait until it goes " + human(settings.timeout()) + " without renewal "
                + "(train.lease-timeout), or set train.take-over-lease=true if that run is dead", h);
    }

    private static String human(Duration d) {
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }

    /** Creates {@code file} with {@code text} unless it exists; false when it exists. */
    private static boolean createIfAbsent(FileSystem fs, Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (fs instanceof RawLocalFileSystem local) {
            File f = local.pathToFile(file);
            try (OutputStream out = Files.newOutputStream(f.toPath(), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                out.write(bytes);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        try (OutputStream out = fs.create(file, false)) {
            out.write(bytes);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (RemoteException e) {
            // HDFS: another client created the file and is still writing it (the namenode refused our create).
            if (e.getClassName().equals("org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException")) return false;
            throw e;
        }
    }

    /**
     * The holder the file names, or empty when the file is absent. A file that stays unreadable (a holder between
     * creating and writing it, or a damaged file) is given {@link #UNREADABLE_GRACE}; then, if it was modified
     * within the timeout, it counts as a live unknown holder (null), else as an expired one.
     */
    private static Optional<Holder> readSettled(FileSystem fs, Path file, Clock clock) throws IOException {
        long deadline = System.nanoTime() + UNREADABLE_GRACE.toNanos();
        while (true) {
            FileStatus status;
            String text;
            try {
                status = fs.getFileStatus(file);
                try (FSDataInputStream in = fs.open(file)) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (FileNotFoundException e) {
                return Optional.empty();
            }
            try {
                return Optional.of(Holder.parse(text));
            } catch (IOException unreadable) {
                if (System.nanoTime() < deadline) {
                    sleep(20);
                    continue;
                }
                // An unknown holder (token ""): the file's modification time is its renewal time.
                Instant modified = Instant.ofEpochMilli(status.getModificationTime());
                return Optional.of(new Holder("", "?", "", -1, "?", modified, modified));
            }
        }
    }

    /** Deletes the lease file if it still holds {@code stale}'s token (another taker may have replaced it meanwhile). */
    private static void breakLease(FileSystem fs, Path file, Holder stale) throws IOException {
        Optional<Holder> now;
        try (FSDataInputStream in = fs.open(file)) {
            now = Optional.of(Holder.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (FileNotFoundException e) {
            return;
        } catch (IOException unreadable) {
            now = Optional.empty();
        }
        if (now.isEmpty() ? stale.token().isEmpty() : now.get().token().equals(stale.token())) fs.delete(file, false);
    }

    /**
     * Names {@code session}'s Spark application in the lease (rewritten at once) and cancels the session's command
     * ({@link CommandSession#cancel()}) if the lease is lost to another command.
     */
    public void attach(CommandSession session) {
        SparkContext sc = session.spark().sparkContext();
        attached = session::cancel;
        synchronized (this) {
            holder = new Holder(holder.token(), holder.command(), sc.applicationId(), holder.pid(), holder.host(),
                    holder.started(), holder.renewed());
        }
        renewer.execute(this::renew);
    }

    /** The lease's current content. */
    public synchronized Holder holder() {
        return holder;
    }

    public Path file() {
        return file;
    }

    /** Who took the lease over, or empty while this command holds it. */
    public Optional<String> lostTo() {
        return Optional.ofNullable(lostTo);
    }

    /** Rewrites the renewal time if the file still holds this lease; otherwise marks it lost. */
    synchronized void renew() {
        if (closed || lostTo != null) return;
        try {
            Optional<Holder> current = readSettled(fs, file, clock);
            if (current.isEmpty() || !current.get().token().equals(holder.token())) {
                lose(current.map(Holder::describe).orElse("nobody (the lease file was deleted)"));
                return;
            }
            holder = new Holder(holder.token(), holder.command(), holder.application(), holder.pid(), holder.host(),
                    holder.started(), clock.instant());
            try (OutputStream out = fs.create(file, true)) {
                out.write(holder.json().getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            // A failed renewal is retried at the next period; three in a row let the lease expire.
            System.err.println("atdiff: could not renew the lease " + file + ": " + e);
        }
    }

    private void lose(String to) {
        lostTo = to;
        System.err.println("atdiff: the lease " + file + " was taken over by " + to + "; stopping this command");
        Runnable stop = attached;
        if (stop != null) new Thread(stop, "atdiff-lease-lost").start();
    }

    /** Deletes the lease file if it still holds this lease; otherwise marks the lease lost. */
    private synchronized void release() {
        if (closed) return;
        closed = true;
        renewer.shutdownNow();
        if (lostTo != null) return;
        try {
            Optional<Holder> current = readSettled(fs, file, clock);
            if (current.isPresent() && current.get().token().equals(holder.token())) {
                fs.delete(file, false);
            } else {
                lostTo = current.map(Holder::describe).orElse("nobody (the lease file was deleted)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not release the lease " + file, e);
        }
    }

    /** Releases the lease; throws when it was lost to another command while this one ran. */
    @Override
    public void close() {
        release();
        try {
            ShutdownHookManager.get().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or ran already
        }
        if (lostTo != null) {
            throw new IllegalStateException("the lease " + file + " was taken over by " + lostTo + " while this "
                    + "command ran; its output may be mixed with that command's");
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading a lease", e);
        }
    }
}
