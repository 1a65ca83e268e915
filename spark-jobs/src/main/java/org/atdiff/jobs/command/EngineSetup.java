package org.atdiff.jobs.command;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atdiff.engine.ConvolutionEngine;
import org.atdiff.engine.ConvolutionPath;
import org.atdiff.engine.EngineReport;
import org.atdiff.tensor.NativeAllocator;

/**
 * {@code engine.conv-path} for a command: checks this JVM's engine with it (printing the engine line and what its
 * C allocator does with freed memory, {@link NativeAllocator}), and gives the
 * Spark properties that carry it to the executors, which check their own engine (their CPU may differ) before their
 * first convolution.
 */
public final class EngineSetup {
    private EngineSetup() {}

    /**
     * Configures and checks this JVM's convolution path and prints the engine line to {@code out}.
     *
     * @return {@code spark.executorEnv.*} properties for the executors
     * @throws org.atdiff.engine.EngineCheckException when no allowed path is correct here
     */
    public static Map<String, String> configure(Config config, PrintStream out) {
        String setting = config.getString("engine.conv-path");
        EngineReport report = ConvolutionEngine.configure(setting);
        out.println(report.line());
        out.println(NativeAllocator.describe());
        return executorEnvironment(setting);
    }

    /** The executor environment that carries {@code setting}, with oneDNN's ISA cap for {@code onednn-avx}. */
    static Map<String, String> executorEnvironment(String setting) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("spark.executorEnv." + ConvolutionEngine.PATH_VARIABLE, setting);
        if (setting.equals(ConvolutionPath.ONEDNN_AVX.configName())) {
            env.put("spark.executorEnv." + ConvolutionPath.ISA_VARIABLE, ConvolutionPath.ISA_VALUE);
        }
        return env;
    }
}
