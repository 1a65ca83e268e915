package org.atdiff.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.atdiff.jobs.command.AtdiffConfig;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The deployment files outside Java: the YARN profile, the Oozie workflow, the Airflow DAG and the notebook. */
class DeployFilesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String WORKFLOW = "uri:oozie:workflow:1.0";
    private static final String SPARK = "uri:oozie:spark-action:1.0";
    /** A quoted atdiff override as the DAG and the notebook write it: "train.steps=..." or f"run.dir={RUN}". */
    private static final Pattern QUOTED_OVERRIDE = Pattern.compile("[\"']([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+)=");

    @Test
    void yarnProfileLoadsAndGivesEachExecutorOneTask() {
        Config c = AtdiffConfig.load(ROOT.resolve("conf/yarn.conf").toFile(), List.of());
        Map<String, String> spark = AtdiffConfig.sparkProperties(c);
        assertEquals(spark.get("spark.executor.cores"), spark.get("spark.task.cpus"), "one task per executor");
        assertEquals("false", spark.get("spark.dynamicAllocation.enabled"));
        assertTrue(spark.get("spark.executor.extraJavaOptions").contains("-Dorg.bytedeco.javacpp.cachedir="));
        assertEquals(0, c.getInt("train.workers"), "one worker per executor");
        assertTrue(c.getString("run.dir").startsWith("hdfs://"));
    }

    @Test
    void oozieWorkflowRunsPrepTrainSampleFidWithStatsBeforeFid() throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(ROOT.resolve("deploy/oozie/workflow.xml").toFile());
        Map<String, List<String>> next = new HashMap<>();
        next.computeIfAbsent("start", k -> new ArrayList<>())
                .add(((Element) doc.getElementsByTagNameNS(WORKFLOW, "start").item(0)).getAttribute("to"));
        NodeList forks = doc.getElementsByTagNameNS(WORKFLOW, "fork");
        for (int i = 0; i < forks.getLength(); i++) {
            Element fork = (Element) forks.item(i);
            NodeList paths = fork.getElementsByTagNameNS(WORKFLOW, "path");
            for (int j = 0; j < paths.getLength(); j++) {
                next.computeIfAbsent(fork.getAttribute("name"), k -> new ArrayList<>()).add(((Element) paths.item(j)).getAttribute("start"));
            }
        }
        NodeList joins = doc.getElementsByTagNameNS(WORKFLOW, "join");
        for (int i = 0; i < joins.getLength(); i++) {
            Element join = (Element) joins.item(i);
            next.computeIfAbsent(join.getAttribute("name"), k -> new ArrayList<>()).add(join.getAttribute("to"));
        }
        Map<String, List<String>> args = new LinkedHashMap<>();
        NodeList actions = doc.getElementsByTagNameNS(WORKFLOW, "action");
        for (int i = 0; i < actions.getLength(); i++) {
            Element action = (Element) actions.item(i);
            String name = action.getAttribute("name");
            next.computeIfAbsent(name, k -> new ArrayList<>()).add(child(action, WORKFLOW, "ok").getAttribute("to"));
            assertEquals("fail", child(action, WORKFLOW, "error").getAttribute("to"), name);
            Element spark = child(action, SPARK, "spark");
            assertEquals("org.atdiff.jobs.Atdiff", child(spark, SPARK, "class").getTextContent(), name);
            assertTrue(child(spark, SPARK, "file").getTextContent().endsWith("#yarn.conf"), name);
            String opts = child(spark, SPARK, "spark-opts").getTextContent();
            assertTrue(opts.contains("spark.dynamicAllocation.enabled=false") && opts.contains("javacpp.cachedir"), name);
            List<String> a = new ArrayList<>();
            NodeList argNodes = spark.getElementsByTagNameNS(SPARK, "arg");
            for (int j = 0; j < argNodes.getLength(); j++) a.add(argNodes.item(j).getTextContent());
            assertEquals(List.of(name, "--conf", "yarn.conf"), a.subList(0, 3), "command and profile of " + name);
            args.put(name, a.subList(3, a.size()));
        }
        assertEquals(Set.of("prep", "train", "sample", "stats", "fid"), args.keySet());
        for (String[] edge : new String[][] {{"start", "prep"}, {"prep", "train"}, {"train", "sample"}, {"sample", "fid"},
                {"prep", "stats"}, {"stats", "fid"}, {"fid", "end"}}) {
            assertTrue(reachable(next, edge[0]).contains(edge[1]), edge[1] + " runs after " + edge[0]);
            assertFalse(reachable(next, edge[1]).contains(edge[0]), edge[0] + " must not run after " + edge[1]);
        }
        for (List<String> overrides : args.values()) {
            for (String o : overrides) assertKnownPath(o.substring(0, o.indexOf('=')), "workflow.xml");
        }
    }

    @Test
    void airflowDagAndNotebookOverrideOnlyExistingConfigurationPaths() throws Exception {
        for (String file : new String[] {"deploy/airflow/atdiff_pipeline.py", "deploy/notebooks/atdiff_pyspark.ipynb"}) {
            Matcher m = QUOTED_OVERRIDE.matcher(Files.readString(ROOT.resolve(file)));
            Set<String> paths = new LinkedHashSet<>();
            while (m.find()) {
                if (!m.group(1).startsWith("spark.")) paths.add(m.group(1)); // Spark properties on the spark-submit line
            }
            assertTrue(paths.containsAll(List.of("output.path", "data.path", "run.dir", "samples.path", "reference.path")),
                    file + ": " + paths);
            for (String path : paths) assertKnownPath(path, file);
        }
    }

    @Test
    void notebookIsAnNbformat4NotebookThatStreamsTheLaunchersOutput() throws Exception {
        JsonNode nb = new ObjectMapper().readTree(ROOT.resolve("deploy/notebooks/atdiff_pyspark.ipynb").toFile());
        assertEquals(4, nb.get("nbformat").asInt());
        assertTrue(nb.get("metadata").has("kernelspec"));
        StringBuilder code = new StringBuilder();
        for (JsonNode cell : nb.get("cells")) {
            String type = cell.get("cell_type").asText();
            assertTrue(type.equals("code") || type.equals("markdown"), type);
            assertTrue(cell.has("source") && cell.has("metadata"), cell.toString());
            if (type.equals("code")) {
                assertTrue(cell.has("outputs") && cell.has("execution_count"), cell.toString());
                for (JsonNode line : cell.get("source").isArray() ? cell.get("source") : List.of(cell.get("source"))) {
                    code.append(line.asText());
                }
            }
        }
        for (String needed : new String[] {"deploy\" / \"atdiff", "subprocess.Popen", "fid.json", "metrics.jsonl", "grid.png"}) {
            assertTrue(code.indexOf(needed) >= 0, needed);
        }
        for (String gone : new String[] {"capture_output", "report.html", "spark-submit"}) {
            assertTrue(code.indexOf(gone) < 0, "the notebook's code mentions " + gone);
        }
    }

    private static void assertKnownPath(String path, String source) {
        assertTrue(AtdiffConfig.reference().hasPathOrNull(path), source + " overrides unknown configuration path " + path);
    }

    private static Element child(Element parent, String ns, String name) {
        NodeList nodes = parent.getElementsByTagNameNS(ns, name);
        assertEquals(1, nodes.getLength(), name + " in " + parent.getAttribute("name"));
        return (Element) nodes.item(0);
    }

    private static Set<String> reachable(Map<String, List<String>> next, String from) {
        Set<String> seen = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>(next.getOrDefault(from, List.of()));
        while (!todo.isEmpty()) {
            String n = todo.remove(todo.size() - 1);
            if (seen.add(n)) todo.addAll(next.getOrDefault(n, List.of()));
        }
        return seen;
    }
}
