package org.atdiff.jobs;

import com.typesafe.config.Config;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.atdiff.io.MalformedFileException;
import org.atdiff.jobs.bench.BenchCommand;
import org.atdiff.jobs.command.AtdiffConfig;
import org.atdiff.jobs.command.Command;
import org.atdiff.jobs.command.CommandResult;
import org.atdiff.jobs.command.CommandSession;
import org.atdiff.jobs.command.SettingsReader;
import org.atdiff.jobs.export.ExportJob;
import org.atdiff.jobs.fid.ClassifierJob;
import org.atdiff.jobs.fid.FidJob;
import org.atdiff.jobs.fid.StatsJob;
import org.atdiff.jobs.nll.NllJob;
import org.atdiff.jobs.report.CompareJob;
import org.atdiff.jobs.robust.EpsMseJob;
import org.atdiff.jobs.sample.SampleJob;

/**
 * Every command, two ways in.
 * <ul>
 *   <li>The command line, {@link #main}: {@code atdiff <command> [--conf FILE] [--master URL] [path=value ...]}.
 *       Parses the arguments, loads and validates the configuration, runs the command in a Spark session of its own
 *       (opened when the command first needs it, stopped when it ends) and exits: 0, 2 with one line on a bad input
 *       or state, 1 otherwise.</li>
 *   <li>A notebook or an application, {@link #run(SparkSession, String, Map)}: runs the command in the caller's
 *       session and returns a {@link CommandResult}; throws on failure; never stops the session nor exits the JVM.</li>
 * </ul>
 * Either way the command's Spark jobs form the job group {@code atdiff <command> <run.dir or output.path>}
 * ({@link CommandSession}).
 */
public final class Atdiff {
    static Map<String, Command> commands() {
        Map<String, Command> c = new LinkedHashMap<>();
        c.put("train-local", new TrainLocalJob());
        c.put("prep", new PrepJob());
        c.put("train", new TrainJob());
        c.put("sample", new SampleJob());
        c.put("classifier", new ClassifierJob());
        c.put("stats", new StatsJob());
        c.put("fid", new FidJob());
        c.put("nll", new NllJob());
        c.put("eps-mse", new EpsMseJob());
        c.put("export", new ExportJob());
        c.put("pipeline", new PipelineJob());
        c.put("compare", new CompareJob());
        c.put("bench", new BenchCommand());
        c.put("check-engine", new CheckEngineJob());
        return c;
    }

    public static void main(String[] args) {
        try {
            run(args);
            // Spark leaves non-daemon threads (e.g. the barrier task timer) that would keep the JVM alive. YARN's
            // application master (cluster mode) ends its JVM itself, and takes an exit from main as a failure.
            if (!inYarnApplicationMaster()) System.exit(0);
        } catch (IllegalArgumentException | IllegalStateException | MalformedFileException e) {
            System.err.println("atdiff: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            e.printStackTrace();
            System.err.println("atdiff: " + e);
            System.exit(1);
        }
    }

    /** True when spark-submit runs this main inside YARN's application master (--deploy-mode cluster). */
    static boolean inYarnApplicationMaster() {
        return "yarn".equals(System.getProperty("spark.master"))
                && "cluster".equals(System.getProperty("spark.submit.deployMode"));
    }

    /**
     * Runs {@code command} in the caller's running session {@code spark} with {@code overrides} (configuration path ->
     * value, as {@code path=value} on the command line) over {@code conf/application.conf} and the command's default
     * profile. Never stops the session.
     *
     * @throws IllegalArgumentException on an unknown command, path or ill-typed value, naming it
     * @throws Exception                when the command fails (the CLI's exit code 2 for IllegalArgumentException,
     *                                  IllegalStateException and MalformedFileException, 1 otherwise)
     */
    public static CommandResult run(SparkSession spark, String command, Map<String, String> overrides) throws Exception {
        return run(spark, command, null, overrides);
    }

    /** {@link #run(SparkSession, String, Map)} over the profile {@code conf} (as {@code --conf FILE}) when not null. */
    public static CommandResult run(SparkSession spark, String command, File conf, Map<String, String> overrides)
            throws Exception {
        Command c = command(command);
        List<String> pairs = new ArrayList<>();
        overrides.forEach((path, value) -> pairs.add(path + "=" + value));
        Config config = AtdiffConfig.load(conf, c.defaultProfile(), pairs);
        c.readSettings(new SettingsReader(config)); // a bad value fails here, naming its key, before any work
        try (CommandSession session = CommandSession.in(spark, config, command, c.target(config))) {
            return c.run(config, session);
        }
    }

    /** The command line without the exit: parses {@code args} and runs the command in a session of its own. */
    static CommandResult run(String[] args) throws Exception {
        Map<String, Command> commands = commands();
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            System.out.println(usage(commands));
            return CommandResult.wrote("help", List.of());
        }
        Command command = command(args[0]);
        File conf = null;
        String master = null;
        List<String> overrides = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--conf" -> conf = new File(value(args, ++i, "--conf"));
                case "--master" -> master = value(args, ++i, "--master");
                default -> {
                    if (args[i].startsWith("--")) throw new IllegalArgumentException("unknown option " + args[i]);
                    overrides.add(args[i]);
                }
            }
        }
        return runAlone(args[0], command, AtdiffConfig.load(conf, command.defaultProfile(), overrides), master);
    }

    /**
     * Runs {@code command} (named {@code name}) in a Spark session of its own on {@code master} (null: as
     * {@link SparkSessions} decides), opened when the command first needs it and stopped when it ends.
     */
    public static CommandResult runAlone(String name, Command command, Config config, String master) throws Exception {
        command.readSettings(new SettingsReader(config)); // a bad value fails here, naming its key, before any work
        try (CommandSession session = CommandSession.own(config, name, command.target(config), master)) {
            return command.run(config, session);
        }
    }

    private static Command command(String name) {
        Map<String, Command> commands = commands();
        Command command = commands.get(name);
        if (command == null) throw new IllegalArgumentException("unknown command '" + name + "'\n" + usage(commands));
        return command;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static String usage(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder("usage: atdiff <command> [--conf FILE] [--master URL] [path=value ...]\ncommands:\n");
        commands.forEach((name, c) -> sb.append(String.format("  %-12s %s%n", name, c.summary())));
        return sb.toString();
    }
}
