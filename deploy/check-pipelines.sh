#!/usr/bin/env bash
# Checks the scheduler files without Airflow or Oozie installed:
# - the Airflow DAG compiles, and run against stand-ins for airflow's classes it builds the tasks prep, train,
#   sample, stats, fid in the order prep -> {train -> sample, stats} -> fid, each a spark-submit of org.atdiff.jobs.Atdiff;
# - the Oozie workflow is well-formed XML, and valid against Oozie's schemas when OOZIE_XSD_DIR names a folder with
#   oozie-workflow-1.0.xsd, spark-action-1.0.xsd and oozie-common-1.0.xsd (from Oozie's client/src/main/resources);
# - the notebook is a valid nbformat 4 notebook (with python3-nbformat; plain JSON otherwise) whose code cells parse.
# The Java side (DeployFilesTest) checks the workflow's order and that every override names a configuration path.
#
# deploy/check-pipelines.sh --dag-commands ROOT [param=value ...] prints instead the DAG's atdiff command lines in an
# order its dependencies allow, one JSON array of arguments a line, rendered with atdiff_root = ROOT, the DAG's params
# (overridden by param=value) and ds_nodash = 19700101 (PipelineRerunTest runs them twice).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
DAG_COMMANDS=()
if [[ "${1:-}" == --dag-commands ]]; then
  shift
  DAG_COMMANDS=("$@")
  [[ ${#DAG_COMMANDS[@]} -ge 1 ]] || { echo "check-pipelines: --dag-commands needs ROOT" >&2; exit 2; }
fi

"$PY" - "$ROOT/deploy/airflow/atdiff_pipeline.py" ${DAG_COMMANDS[@]+"${DAG_COMMANDS[@]}"} <<'PYEOF'
import json, os, re, sys, tempfile, types, py_compile
path = sys.argv[1]
with tempfile.TemporaryDirectory() as tmp:
    py_compile.compile(path, cfile=os.path.join(tmp, "dag.pyc"), doraise=True)

class Op:
    def __init__(self, task_id, **kw):
        self.task_id, self.kw, self.downstream = task_id, kw, set()
        Dag.current.tasks.append(self)
    def __rshift__(self, other):
        for o in other if isinstance(other, list) else [other]:
            self.downstream.add(o.task_id)
        return other
    def __rrshift__(self, others):
        for o in others:
            o >> self
        return self

class Dag:
    current = None
    def __init__(self, dag_id, **kw):
        self.dag_id, self.tasks, self.params = dag_id, [], kw.get("params", {})
    def __enter__(self):
        Dag.current = self
        return self
    def __exit__(self, *a):
        return False

for name in ["airflow", "airflow.providers", "airflow.providers.apache", "airflow.providers.apache.spark",
             "airflow.providers.apache.spark.operators", "airflow.providers.apache.spark.operators.spark_submit"]:
    sys.modules[name] = types.ModuleType(name)
sys.modules["airflow"].DAG = Dag
sys.modules["airflow.providers.apache.spark.operators.spark_submit"].SparkSubmitOperator = Op
ns = {}
exec(compile(open(path).read(), path, "exec"), ns)
dag = ns["dag"]
tasks = {t.task_id: t for t in dag.tasks}
assert sorted(tasks) == ["fid", "prep", "sample", "stats", "train"], sorted(tasks)

def after(a):
    seen, todo = set(), [a]
    while todo:
        for d in tasks[todo.pop()].downstream:
            if d not in seen:
                seen.add(d); todo.append(d)
    return seen

def render(arg, root, params):
    arg = re.sub(r"\{\{ var\.value\.get\('atdiff_root', '[^']*'\) \}\}", root, arg)
    arg = re.sub(r"\{\{ params\.(\w+) \}\}", lambda m: str(params[m.group(1)]), arg)
    arg = arg.replace("{{ ds_nodash }}", "19700101")
    assert "{{" not in arg, "unrendered template in " + arg
    return arg

if len(sys.argv) > 2:
    params = dict(dag.params)
    params.update(p.split("=", 1) for p in sys.argv[3:])
    done = set()
    while len(done) < len(tasks):  # a task once every task upstream of it is done
        for t in sorted(tasks):
            if t not in done and all(t not in tasks[u].downstream for u in tasks if u not in done):
                print(json.dumps([render(a, sys.argv[2], params) for a in tasks[t].kw["application_args"]]))
                done.add(t)
    sys.exit(0)

for a, b in [("prep", "train"), ("train", "sample"), ("sample", "fid"), ("prep", "stats"), ("stats", "fid")]:
    assert b in after(a) and a not in after(b), f"{b} must run after {a}"
for t in tasks.values():
    assert t.kw["java_class"] == "org.atdiff.jobs.Atdiff", t.task_id
    assert t.kw["application_args"][:3] == [t.task_id, "--conf", "yarn.conf"], t.task_id
    assert t.kw["conf"]["spark.dynamicAllocation.enabled"] == "false", t.task_id
print("airflow DAG: ok (tasks", ", ".join(sorted(tasks)) + ")")
PYEOF
[[ ${#DAG_COMMANDS[@]} -eq 0 ]] || exit 0

xmllint --noout "$ROOT/deploy/oozie/workflow.xml"
if [[ -n "${OOZIE_XSD_DIR:-}" ]]; then
  schema="$(mktemp --suffix=.xsd)"
  cat > "$schema" <<XSD
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="uri:oozie:workflow:1.0" schemaLocation="file://$OOZIE_XSD_DIR/oozie-workflow-1.0.xsd"/>
  <xs:import namespace="uri:oozie:spark-action:1.0" schemaLocation="file://$OOZIE_XSD_DIR/spark-action-1.0.xsd"/>
</xs:schema>
XSD
  xmllint --noout --schema "$schema" "$ROOT/deploy/oozie/workflow.xml"
  rm -f "$schema"
fi
echo "oozie workflow: ok"

"$PY" - "$ROOT/deploy/notebooks/atdiff_pyspark.ipynb" <<'PYEOF'
import ast, json, sys
path = sys.argv[1]
try:
    import nbformat
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    how = "nbformat " + nbformat.__version__
except ImportError:
    nb = json.load(open(path))
    assert nb["nbformat"] == 4
    how = "JSON only (no nbformat)"
for cell in nb["cells"]:
    if cell["cell_type"] == "code":
        src = cell["source"]
        ast.parse(src if isinstance(src, str) else "".join(src))
print(f"notebook: ok ({how})")
PYEOF
