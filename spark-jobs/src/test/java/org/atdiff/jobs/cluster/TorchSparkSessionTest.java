package org.atdiff.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class TorchSparkSessionTest {
    @Test
    void executorsGetTheJava17FlagsTheNativeCacheAndThreads() {
        SparkConf conf = TorchSparkSession.conf("local[2]", "t", 3);
        String opts = conf.get("spark.executor.extraJavaOptions");
        assertTrue(opts.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), opts);
        assertTrue(opts.contains("-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir")), opts);
        assertEquals("3", conf.get("spark.executorEnv.OMP_NUM_THREADS"));
        assertEquals("1", TorchSparkSession.conf("local[2]", "t", 0).get("spark.executorEnv.OMP_NUM_THREADS"));
        assertFalse(conf.contains("spark.jars"));
    }

    @Test
    void localClusterExecutorsGetThisJvmsClasspathAndTheirMemory() throws Exception {
        TestSparkHome.ensure(); // local-cluster needs SPARK_HOME/jars, whatever order the tests run in
        SparkConf conf = TorchSparkSession.conf("local-cluster[2,1,1536]", "t", 1);
        assertEquals("1536m", conf.get("spark.executor.memory"));
        assertEquals(System.getProperty("java.class.path"), conf.get("spark.executor.extraClassPath"));
        assertEquals("2.12", conf.get("spark.executorEnv.SPARK_SCALA_VERSION"));
    }

    @Test
    void aRemoteMasterGetsTheApplicationJarsAndNoDynamicAllocation() {
        SparkConf conf = TorchSparkSession.conf("spark://head:7077", "t", 1);
        String jars = conf.get("spark.jars");
        assertTrue(jars.contains("pytorch-2.10.0-1.5.13.jar"), jars);
        assertTrue(jars.contains("pytorch-2.10.0-1.5.13-linux-x86_64.jar"), jars);
        assertTrue(jars.contains("javacpp-1.5.13-linux-x86_64.jar"), jars);
        assertTrue(jars.contains("openblas-0.3.31-1.5.13-linux-x86_64.jar"), jars);
        assertTrue(jars.contains("/config-"), jars);
        assertFalse(jars.contains("spark-core"), jars);
        assertEquals("false", conf.get("spark.dynamicAllocation.enabled"));
    }

    @Test
    void anEmptyMasterIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> TorchSparkSession.conf(" ", "t", 1));
    }
}
