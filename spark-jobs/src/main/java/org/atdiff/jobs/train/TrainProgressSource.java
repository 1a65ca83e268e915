package org.atdiff.jobs.train;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.SparkEnv;
import org.apache.spark.metrics.source.Source;

/**
 * A running train's progress in Spark's metrics system, source {@value #NAME}: gauges step, steps, loss, grad_norm,
 * images_per_sec, eta_seconds and attempt, from the latest {@code progress.json} the driver read. Registered on the
 * driver for the length of a {@code train} command, so every configured sink shows it (the driver UI's
 * {@code /metrics/json}, Prometheus with {@code spark.ui.prometheus.enabled}, JMX, Graphite...).
 */
public final class TrainProgressSource implements Source, AutoCloseable {
    /** The source's name: metrics read {@code <app id>.driver.atdiff.train.<gauge>}. */
    public static final String NAME = "atdiff.train";
    private final MetricRegistry registry = new MetricRegistry();
    private volatile JsonNode latest;

    private TrainProgressSource() {
        gauge("step", n -> n.path("step").asLong());
        gauge("steps", n -> n.path("steps").asLong());
        gauge("loss", n -> n.path("loss").asDouble());
        gauge("grad_norm", n -> n.path("grad_norm").asDouble());
        gauge("images_per_sec", n -> n.path("images_per_sec").asDouble());
        gauge("eta_seconds", n -> n.path("eta_s").asDouble());
        gauge("attempt", n -> n.path("attempt").asInt(1));
    }

    private void gauge(String name, java.util.function.Function<JsonNode, Number> value) {
        registry.register(name, (Gauge<Number>) () -> latest == null ? null : value.apply(latest));
    }

    /** A source registered with this JVM's Spark metrics system (none outside Spark: then it only holds values). */
    public static TrainProgressSource register() {
        TrainProgressSource s = new TrainProgressSource();
        SparkEnv env = SparkEnv.get();
        if (env != null) env.metricsSystem().registerSource(s);
        return s;
    }

    /** Takes the values of a progress.json object. */
    void update(JsonNode progress) {
        latest = progress;
    }

    @Override
    public String sourceName() {
        return NAME;
    }

    @Override
    public MetricRegistry metricRegistry() {
        return registry;
    }

    /** Removes the source from the metrics system. */
    @Override
    public void close() {
        SparkEnv env = SparkEnv.get();
        if (env != null) env.metricsSystem().removeSource(this);
    }
}
