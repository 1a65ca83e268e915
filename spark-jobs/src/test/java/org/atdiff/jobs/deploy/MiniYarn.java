package org.atdiff.jobs.deploy;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A YARN cluster inside the test JVM (one resource manager, one node manager) and a Hadoop configuration folder
 * that points clients at it, as {@code HADOOP_CONF_DIR}. Memory checks are off: libtorch's natives live outside
 * the executor heap that YARN sizes containers by.
 */
final class MiniYarn implements AutoCloseable {
    final Path confDir;
    private final MiniYARNCluster cluster;

    MiniYarn(Path dir, int nodeMemoryMb, int nodeCores) throws Exception {
        YarnConfiguration conf = new YarnConfiguration();
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
        conf.setInt(YarnConfiguration.NM_PMEM_MB, nodeMemoryMb);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, nodeMemoryMb);
        conf.setInt(YarnConfiguration.NM_VCORES, nodeCores);
        conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        // The capacity scheduler with one queue that owns the node.
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
        conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
        conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
        conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
        conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
        conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
        // One application master may take the whole node (the default allows 10 %, too little for one AM here).
        conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
        conf.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "99");
        // Containers are placed at once instead of waiting for node locality.
        conf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
        cluster = new MiniYARNCluster("atdiff-yarn", 1, 1, 1);
        cluster.init(conf);
        cluster.start();
        // start() may return before the resource manager wrote its ephemeral port into the configuration.
        for (int i = 0; cluster.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0"); i++) {
            if (i == 300) throw new IllegalStateException("the YARN resource manager did not publish its address in 30 s");
            Thread.sleep(100);
        }
        confDir = Files.createDirectories(dir.resolve("hadoop-conf"));
        try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
            cluster.getConfig().writeXml(out);
        }
    }

    /** The running cluster's configuration (its resource manager's address). */
    org.apache.hadoop.conf.Configuration configuration() {
        return cluster.getConfig();
    }

    @Override
    public void close() {
        cluster.stop();
    }
}
