package org.atdiff.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.atdiff.tensor.NativeAllocator;
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
    void executorsAllocateLikeTheDriverUnlessTheConfSaysOtherwise() {
        String key = "spark.executorEnv." + NativeAllocator.VARIABLE, driver = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=9";
        SparkConf conf = new SparkConf(false);
        TorchSparkSession.allocateLikeTheDriver(conf, driver);
        assertEquals(driver, conf.get(key));
        SparkConf own = new SparkConf(false).set(key, "glibc.malloc.mmap_max=1");
        TorchSparkSession.allocateLikeTheDriver(own, driver);
        assertEquals("glibc.malloc.mmap_max=1", own.get(key));
        SparkConf none = new SparkConf(false);
        TorchSparkSession.allocateLikeTheDriver(none, null);
        assertFalse(none.contains(key));
        String here = NativeAllocator.tunables(); // and conf() passes this driver's own
        SparkConf built = TorchSparkSession.conf("local[2]", "t", 1);
        assertEquals(here, built.contains(key) ? built.get(key) : null);
    }

    @Test
    void localClusterExecutorsGetThisJvmsClasspathAndTheirMemory() throws Exception {
        TestSparkHome.ensure();
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

    @Test
    void withoutAMasterTheSubmittedOneIsKeptWithItsNameAndSettings() {
        // spark-submit hands its settings to the driver as system properties
        System.setProperty("spark.master", "yarn");
        System.setProperty("spark.app.name", "submitted");
        System.setProperty("spark.executor.memory", "3g");
        try {
            SparkConf conf = TorchSparkSession.conf(null, "atdiff train", 1,
                    Map.of("spark.executor.memory", "9g", "spark.executor.cores", "2"));
            assertEquals("yarn", conf.get("spark.master"));
            assertEquals("submitted", conf.get("spark.app.name"));
            assertEquals("3g", conf.get("spark.executor.memory"), "spark-submit's --conf wins over spark.conf");
            assertEquals("2", conf.get("spark.executor.cores"));
            assertEquals("false", conf.get("spark.dynamicAllocation.enabled"));
            assertEquals("local[2]", TorchSparkSession.conf("local[2]", "t", 1).get("spark.master"), "--master wins");
        } finally {
            System.clearProperty("spark.master");
            System.clearProperty("spark.app.name");
            System.clearProperty("spark.executor.memory");
        }
        assertThrows(IllegalStateException.class, () -> TorchSparkSession.conf(null, "t", 1));
        assertEquals("t", TorchSparkSession.conf("local[1]", "t", 1).get("spark.app.name"));
    }

    @Test
    void extraJavaOptionsFromTheConfigurationKeepTheirFlagsAndGainTheJava17Ones() {
        String opts = TorchSparkSession.conf("local[1]", "t", 1,
                Map.of("spark.executor.extraJavaOptions", "-Dorg.bytedeco.javacpp.cachedir=/scratch/javacpp -XX:+UseG1GC"))
                .get("spark.executor.extraJavaOptions");
        assertTrue(opts.startsWith("-Dorg.bytedeco.javacpp.cachedir=/scratch/javacpp -XX:+UseG1GC --add-opens="), opts);
        assertEquals(1, opts.split("javacpp.cachedir", -1).length - 1, opts);
    }
}
