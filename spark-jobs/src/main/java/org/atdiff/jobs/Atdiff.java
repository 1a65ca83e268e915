package org.atdiff.jobs;

import com.typesafe.config.Config;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atdiff.io.MalformedFileException;
import org.atdiff.jobs.fid.ClassifierJob;
import org.atdiff.jobs.fid.FidJob;
import org.atdiff.jobs.fid.StatsJob;
import org.atdiff.jobs.sample.SampleJob;

/**
 * Entry point of every command: {@code atdiff <command> [--conf FILE] [--master URL] [path=value ...]}.
 * Parses the arguments, loads and validates the configuration, and hands it to the command.
 */
public final class Atdiff {
    /** A command of the launcher. */
    public interface Command {
        String summary();

        void run(Config config, String master) throws Exception;

        /** A profile in {@code conf/} used when no {@code --conf} is given, or null for none. */
        default String defaultProfile() {
            return null;
        }
    }

    static Map<String, Command> commands() {
        Map<String, Command> c = new LinkedHashMap<>();
        c.put("train-local", new TrainLocalJob());
        c.put("prep", new PrepJob());
        c.put("train", new TrainJob());
        c.put("sample", new SampleJob());
        c.put("classifier", new ClassifierJob());
        c.put("stats", new StatsJob());
        c.put("fid", new FidJob());
        c.put("nll", new org.atdiff.jobs.nll.NllJob());
        c.put("eps-mse", new org.atdiff.jobs.robust.EpsMseJob());
        c.put("export", new org.atdiff.jobs.export.ExportJob());
        c.put("pipeline", new PipelineJob());
        c.put("compare", new org.atdiff.jobs.report.CompareJob());
        c.put("bench", new org.atdiff.jobs.bench.BenchCommand());
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

    static void run(String[] args) throws Exception {
        Map<String, Command> commands = commands();
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            System.out.println(usage(commands));
            return;
        }
        Command command = commands.get(args[0]);
        if (command == null) {
            throw new IllegalArgumentException("unknown command '" + args[0] + "'\n" + usage(commands));
        }
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
        Config config = AtdiffConfig.load(conf, command.defaultProfile(), overrides);
        command.run(config, master);
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
