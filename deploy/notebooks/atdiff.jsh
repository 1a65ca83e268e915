// atdiff from JShell (the JDK's REPL, which Jupyter's Java kernels and Zeppelin build on), in one Spark session:
// prep -> train -> sample -> stats -> fid, twice. The second pass finds every output complete for the same settings
// and skips it; a sample with output.overwrite=true is recomputed. The session stays alive between commands.
//
// Run: jshell --class-path "spark-jobs/target/atdiff-assembly.jar:$(cat spark-jobs/target/spark-classpath.txt)" \
//        -R--add-opens=java.base/java.lang=ALL-UNNAMED -R--add-opens=java.base/java.nio=ALL-UNNAMED \
//        -R--add-opens=java.base/sun.nio.ch=ALL-UNNAMED -R--add-opens=java.base/java.util=ALL-UNNAMED \
//        -R--add-opens=java.base/java.lang.invoke=ALL-UNNAMED -R--add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
//        deploy/notebooks/atdiff.jsh
// Folder: -R-Datdiff.notebook.dir=DIR (default runs/notebook). The settings are tiny (a smoke run of about a minute).
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.atdiff.jobs.Atdiff;
import org.atdiff.jobs.command.CommandResult;

String dir = System.getProperty("atdiff.notebook.dir", "runs/notebook");
// JShell ends a statement at a line that completes it: continued lines end in "." or ",", never start with ".".
SparkSession spark = SparkSession.builder().master("local[2]").appName("atdiff notebook").
        config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").
        config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();

Map<String, String> with(String... pathValue) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < pathValue.length; i += 2) m.put(pathValue[i], pathValue[i + 1]);
    return m;
}

// Runs one command in this session; afterwards the session must still run Spark jobs.
CommandResult atdiff(String command, Map<String, String> overrides) throws Exception {
    CommandResult r = Atdiff.run(spark, command, overrides);
    if (spark.sparkContext().isStopped() || spark.range(3).count() != 3) {
        throw new IllegalStateException("atdiff " + command + " left the session unusable");
    }
    System.out.println("notebook: " + command + (r.reused() ? " reused " : " wrote ") + r.written()
            + (r.scores().isEmpty() ? "" : " " + r.scores()));
    return r;
}

void pass(int n) throws Exception {
    boolean again = n > 1;
    String data = dir + "/data", run = dir + "/run";
    Map<String, String> fid = with("fid.classifier-epochs", "1", "fid.classifier-width", "8", "fid.batch-size", "16");
    CommandResult[] results = {
        atdiff("prep", with("input.path", "builtin:shapes", "input.builtin-count", "40", "image.size", "8",
                "output.path", data)),
        atdiff("train", with("data.path", data, "run.dir", run, "model.preset", "tiny", "diffusion.timesteps", "100",
                "train.objective", "plain", "train.steps", "4", "train.batch-size", "4", "train.workers", "1",
                "train.log-every", "2")),
        atdiff("sample", with("run.dir", run, "sample.count", "8", "sample.sampler", "ddim", "sample.steps", "[2]",
                "output.path", run + "/samples")),
    };
    Map<String, String> stats = new HashMap<>(fid);
    stats.putAll(with("data.path", data, "output.path", run + "/reference.npz"));
    Map<String, String> score = new HashMap<>(fid);
    score.putAll(with("samples.path", run + "/samples", "reference.path", run + "/reference.npz",
            "output.path", run + "/eval"));
    CommandResult s = atdiff("stats", stats), f = atdiff("fid", score);
    for (CommandResult r : new CommandResult[] {results[0], results[1], results[2], s, f}) {
        if (r.reused() != again) {
            throw new IllegalStateException("pass " + n + ": " + r.command() + (again ? " recomputed" : " reused"));
        }
    }
    if (f.scores().isEmpty()) throw new IllegalStateException("fid gave no score");
    if (again && atdiff("sample", with("run.dir", run, "sample.count", "8", "sample.sampler", "ddim",
            "sample.steps", "[2]", "output.path", run + "/samples", "output.overwrite", "true")).reused()) {
        throw new IllegalStateException("sample with output.overwrite=true did not recompute");
    }
    System.out.println("notebook: pass " + n + " ok");
}

int status = 1;
try {
    pass(1);
    pass(2);
    status = 0;
} catch (Throwable t) {
    t.printStackTrace();
}
spark.stop(); // the notebook's own session: atdiff never stops it
/exit status
