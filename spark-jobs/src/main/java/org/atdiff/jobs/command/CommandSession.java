package org.atdiff.jobs.command;

import com.typesafe.config.Config;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session one command runs in, and the Spark job group of its jobs.
 *
 * <p>From the command line ({@link #own}) the session is the command's own: opened by {@link SparkSessions#open} at
 * the first {@link #spark()} (so that a command fails on a bad setting before Spark starts) and stopped by
 * {@link #close()}. From a notebook or an application ({@link #in}) it is the caller's: never stopped; the driver's
 * engine is configured and the executors' engine setting checked at the first {@link #spark()}.
 *
 * <p>Every Spark job the command starts on this thread belongs to the job group {@link #jobGroup()},
 * {@code atdiff <command> <target>} (target: {@code run.dir} or {@code output.path}), set at the first
 * {@link #spark()} and cleared by {@link #close()}; {@code sparkContext.cancelJobGroup(group)} stops the command
 * (its running tasks are interrupted).
 */
public final class CommandSession implements AutoCloseable {
    private final Config config;
    private final String command;
    private final String jobGroup;
    private final String master;
    private final boolean owned;
    private SparkSession spark;
    private boolean started;

    private CommandSession(Config config, String command, String target, String master, SparkSession spark,
                           boolean owned) {
        this.config = config;
        this.command = command;
        this.jobGroup = jobGroup(command, target);
        this.master = master;
        this.spark = spark;
        this.owned = owned;
    }

    /** The command line's session: opened on first use with {@code master} (null: see {@link SparkSessions}). */
    public static CommandSession own(Config config, String command, String target, String master) {
        return new CommandSession(config, command, target, master, null, true);
    }

    /** The caller's running session, never stopped here. */
    public static CommandSession in(SparkSession spark, Config config, String command, String target) {
        if (spark.sparkContext().isStopped()) throw new IllegalStateException("the Spark session passed to atdiff " + command + " is stopped");
        return new CommandSession(config, command, target, null, spark, false);
    }

    /** The job group of {@code command} writing {@code target}: {@code atdiff <command> <target>}. */
    public static String jobGroup(String command, String target) {
        return ("atdiff " + command + " " + target).trim();
    }

    public String jobGroup() {
        return jobGroup;
    }

    /** The session, opened (own) or checked (caller's) at the first call; this thread's jobs join the job group. */
    public synchronized SparkSession spark() {
        if (!started) {
            if (owned) {
                spark = SparkSessions.open(config, master, command);
            } else {
                SparkSessions.requireEngine(spark, EngineSetup.configure(config, System.out));
            }
            spark.sparkContext().setJobGroup(jobGroup, jobGroup, true);
            started = true;
        }
        return spark;
    }

    /**
     * Stops this command's Spark work: the whole application when the session is the command's own, the command's
     * job group in the caller's. Nothing to stop before the first {@link #spark()}.
     */
    public void cancel() {
        SparkContext sc;
        synchronized (this) {
            if (!started) return;
            sc = spark.sparkContext();
        }
        if (owned) sc.stop();
        else sc.cancelJobGroup(jobGroup);
    }

    /** Clears the job group; stops the session if it is the command's own. */
    @Override
    public synchronized void close() {
        if (!started) return;
        if (owned) {
            spark.stop();
        } else if (!spark.sparkContext().isStopped()) {
            spark.sparkContext().clearJobGroup();
        }
    }
}
