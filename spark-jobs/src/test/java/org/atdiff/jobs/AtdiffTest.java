package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AtdiffTest {
    @Test
    void onlyYarnClusterModeCountsAsTheApplicationMaster() {
        // spark-submit and YARN's application master hand Spark's settings to main as system properties
        assertFalse(Atdiff.inYarnApplicationMaster());
        try {
            System.setProperty("spark.master", "yarn");
            System.setProperty("spark.submit.deployMode", "client");
            assertFalse(Atdiff.inYarnApplicationMaster());
            System.setProperty("spark.submit.deployMode", "cluster");
            assertTrue(Atdiff.inYarnApplicationMaster());
            System.setProperty("spark.master", "spark://head:7077");
            assertFalse(Atdiff.inYarnApplicationMaster(), "a standalone cluster's driver wrapper needs the exit");
        } finally {
            System.clearProperty("spark.master");
            System.clearProperty("spark.submit.deployMode");
        }
    }
}
