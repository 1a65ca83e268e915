package org.atdiff.jobs.bench;

import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.executor.ExecutorMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerStageExecutorMetrics;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * The peak JVM heap in use (Spark's executor metric {@code JVMHeapMemory}) of each executor, from the peaks the
 * executors report with their heartbeats, at the end of every task and per stage. The executors sample it every
 * {@code spark.executor.metrics.pollingInterval}.
 */
final class ExecutorHeapPeaks extends SparkListener {
    private final Map<String, Long> peaks = new TreeMap<>();

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {
        for (ExecutorMetrics m : scala.collection.JavaConverters.mapAsJavaMap(e.executorUpdates()).values()) {
            record(e.execId(), m);
        }
    }

    @Override
    public void onStageExecutorMetrics(SparkListenerStageExecutorMetrics e) {
        record(e.execId(), e.executorMetrics());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (e.taskExecutorMetrics() != null) record(e.taskInfo().executorId(), e.taskExecutorMetrics());
    }

    private synchronized void record(String executor, ExecutorMetrics m) {
        peaks.merge(executor, m.getMetricValue("JVMHeapMemory"), Math::max);
    }

    /** Peak heap bytes by executor id; the driver only when it is the executor (a local master). */
    synchronized Map<String, Long> peaks() {
        Map<String, Long> p = new TreeMap<>(peaks);
        if (p.size() > 1) p.remove("driver");
        return p;
    }
}
