"""atdiff on YARN as an Airflow DAG: prep -> train -> sample -> fid, with the reference statistics (stats) computed
beside training. Every task is one spark-submit of atdiff's assembly jar (main class org.atdiff.jobs.Atdiff).

Needs the provider apache-airflow-providers-apache-spark on the workers, spark-submit on their PATH (or spark-home
in the connection) and:
- a Spark connection `atdiff_spark`: host `yarn`, extra {"deploy-mode": "cluster"} (the driver runs on the
  cluster, so `--conf yarn.conf` finds the file that --files puts in its working folder);
- Airflow Variables `atdiff_jar` (e.g. hdfs:///user/atdiff/lib/atdiff-assembly.jar), `atdiff_conf` (the profile,
  e.g. hdfs:///user/atdiff/conf/yarn.conf, see conf/yarn.conf) and `atdiff_root` (where datasets and runs live).
See docs/deploy.md for what each Spark setting is for.

Clearing a task and running it again is safe: a step whose output is already complete for the same settings and
inputs is skipped (a line says so), train resumes from its latest checkpoint, and a step asked for other settings
over an existing output fails naming what differs (pass output.overwrite=true to replace it).
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JAR = "{{ var.value.get('atdiff_jar', 'hdfs:///user/atdiff/lib/atdiff-assembly.jar') }}"
PROFILE = "{{ var.value.get('atdiff_conf', 'hdfs:///user/atdiff/conf/yarn.conf') }}"
ROOT = "{{ var.value.get('atdiff_root', 'hdfs:///user/atdiff') }}"

DATA = ROOT + "/datasets/{{ params.dataset }}"
RUN = ROOT + "/runs/{{ params.dataset }}-{{ params.objective }}-{{ ds_nodash }}"
SAMPLES = RUN + "/samples"
REFERENCE = RUN + "/reference.npz"
EVALUATION = RUN + "/eval"

# libtorch's natives unpack to a node-local folder; barrier stages need dynamic allocation off and every executor
# registered before training starts.
SPARK_CONF = {
    "spark.driver.extraJavaOptions": "-Dorg.bytedeco.javacpp.cachedir=/tmp/atdiff-javacpp",
    "spark.executor.extraJavaOptions": "-Dorg.bytedeco.javacpp.cachedir=/tmp/atdiff-javacpp",
    "spark.dynamicAllocation.enabled": "false",
    "spark.scheduler.minRegisteredResourcesRatio": "1.0",
    "spark.scheduler.maxRegisteredResourcesWaitingTime": "300s",
    "spark.yarn.maxAppAttempts": "1",
}


def atdiff(command, *overrides, conf=None, **resources):
    """One atdiff command as a spark-submit task; overrides are path=value strings over the profile."""
    return SparkSubmitOperator(
        task_id=command,
        conn_id="atdiff_spark",
        name=f"atdiff {command}",
        application=JAR,
        java_class="org.atdiff.jobs.Atdiff",
        files=PROFILE + "#yarn.conf",
        application_args=[command, "--conf", "yarn.conf", *overrides],
        conf={**SPARK_CONF, **(conf or {})},
        driver_memory="4g",
        **resources,
    )


with DAG(
    dag_id="atdiff_pipeline",
    description="atdiff: prepare data, train (AT), sample, score with FID",
    start_date=datetime(2025, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "retry_delay": timedelta(minutes=5)},
    params={
        "dataset": "cifar10",
        "raw": "hdfs:///user/atdiff/raw/cifar10",
        "objective": "at",
        "steps": 100000,
        "samplers": "ddim",
        "nfe": "[10,20,50]",
        "count": 50000,
    },
    tags=["atdiff"],
) as dag:
    prep = atdiff(
        "prep",
        "input.path={{ params.raw }}",
        "output.path=" + DATA,
        num_executors=4, executor_cores=2, executor_memory="4g",
    )

    # One training worker per executor: a task takes all of an executor's cores (spark.task.cpus), libtorch uses
    # them as threads. A relaunch resumes from the run's latest checkpoint, so one retry is cheap.
    train = atdiff(
        "train",
        "data.path=" + DATA,
        "run.dir=" + RUN,
        "train.objective={{ params.objective }}",
        "train.steps={{ params.steps }}",
        "train.workers=0",
        conf={"spark.task.cpus": "4", "spark.executor.memoryOverhead": "6g"},
        num_executors=4, executor_cores=4, executor_memory="4g",
        retries=1,
    )

    sample = atdiff(
        "sample",
        "run.dir=" + RUN,
        "sample.sampler={{ params.samplers }}",
        "sample.steps={{ params.nfe }}",
        "sample.count={{ params.count }}",
        "output.path=" + SAMPLES,
        conf={"spark.task.cpus": "4", "spark.executor.memoryOverhead": "4g"},
        num_executors=4, executor_cores=4, executor_memory="4g",
    )

    stats = atdiff(
        "stats",
        "data.path=" + DATA,
        "output.path=" + REFERENCE,
        conf={"spark.task.cpus": "4", "spark.executor.memoryOverhead": "4g"},
        num_executors=2, executor_cores=4, executor_memory="4g",
    )

    fid = atdiff(
        "fid",
        "samples.path=" + SAMPLES,
        "reference.path=" + REFERENCE,
        "output.path=" + EVALUATION,
        conf={"spark.task.cpus": "4", "spark.executor.memoryOverhead": "4g"},
        num_executors=4, executor_cores=4, executor_memory="4g",
    )

    prep >> [train, stats]
    train >> sample
    [sample, stats] >> fid
