package org.atdiff.jobs.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.Config;
import java.util.List;
import org.junit.jupiter.api.Test;

class SparkSessionsTest {
    @Test
    void masterIsTheGivenOneElseSparkSubmitsElseTheConfigurations() {
        Config config = AtdiffConfig.load(null, List.of("spark.master=local[3]"));
        assertEquals("local[3]", SparkSessions.master(config, null));
        assertEquals("local[3]", SparkSessions.master(config, " "));
        assertEquals("spark://h:7077", SparkSessions.master(config, "spark://h:7077"));
        System.setProperty("spark.master", "yarn");
        try {
            assertNull(SparkSessions.master(config, null), "under spark-submit the submitted master is kept");
            assertEquals("local[1]", SparkSessions.master(config, "local[1]"));
        } finally {
            System.clearProperty("spark.master");
        }
    }
}
