package org.atdiff.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.global.torch;

/**
 * What the engine self-check found in this JVM: the CPU, libtorch's and oneDNN's versions, the convolution path
 * requested and the one in use, how many shapes were checked on it and the worst relative error seen there, in
 * float32 and (when bf16 autocast ran) in bf16, each against its own tolerance.
 *
 * @param rerouted    of the shapes checked, how many run on the path's shape fallback (channels-last's matrix products)
 * @param worstBf16   -1 when no convolution ran under bf16 autocast
 * @param bf16InFloat32 convolutions under bf16 autocast run in float32: native bf16 failed the check on this path
 * @param checkMillis time this JVM has spent in the check so far
 * @param failures on the paths tried before the one in use: {@code path: shape (error)}, empty when the first
 *                 path passed
 */
public record EngineReport(String cpu, String requested, ConvolutionPath path, boolean isaCapped, int shapes,
                           int rerouted, double worstFloat32, double worstBf16, boolean bf16InFloat32, List<String> failures,
                           long checkMillis) {
    private static final Pattern ONEDNN = Pattern.compile("(?:MKL-DNN|oneDNN) (v[0-9][^ ]*)");
    private static final Pattern TORCH = Pattern.compile("TORCH_VERSION=([^,\\s]+)");

    /**
     * One line for logs and headers, e.g. {@code engine: AMD EPYC (family 25 model 17), libtorch 2.10.0, oneDNN
     * v3.7.1, conv-path default (auto), 62 shapes checked, worst error 2.1e-07 (fp32), 180 ms}.
     */
    public String line() {
        StringBuilder sb = new StringBuilder("engine: ").append(cpu).append(", libtorch ").append(LIBTORCH)
                .append(", oneDNN ").append(ONEDNN_VERSION).append(isaCapped ? " (ISA capped to AVX)" : "")
                .append(", conv-path ").append(path.configName()).append(" (").append(requested).append(")")
                .append(", ").append(shapes).append(" shapes checked")
                .append(rerouted > 0 ? " (" + rerouted + " on " + path.shapeFallback().configName() + ")" : "")
                .append(", worst error ").append(ConvolutionCheck.format(worstFloat32))
                .append(" (fp32)");
        if (worstBf16 >= 0 || Double.isNaN(worstBf16)) sb.append(", ").append(ConvolutionCheck.format(worstBf16)).append(" (bf16)");
        if (bf16InFloat32) sb.append(", bf16 convolutions in fp32");
        sb.append(", ").append(checkMillis).append(" ms");
        if (!failures.isEmpty()) sb.append("; failed before: ").append(String.join("; ", failures));
        return sb.toString();
    }

    /** The same as a JSON-ready map (for progress.json, metrics.jsonl and bench.json). */
    public Map<String, Object> asMap() {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpu);
        m.put("libtorch", LIBTORCH);
        m.put("onednn", ONEDNN_VERSION);
        m.put("onednn_isa_capped", isaCapped);
        m.put("conv_path", path.configName());
        m.put("requested", requested);
        m.put("shapes_checked", shapes);
        m.put("shapes_on_fallback", rerouted);
        m.put("worst_error_fp32", Double.isNaN(worstFloat32) ? "NaN" : worstFloat32);
        if (worstBf16 >= 0 || Double.isNaN(worstBf16)) m.put("worst_error_bf16", Double.isNaN(worstBf16) ? "NaN" : worstBf16);
        m.put("bf16_convolutions_in_fp32", bf16InFloat32);
        m.put("failed_before", failures);
        m.put("check_ms", checkMillis);
        m.put("line", line());
        return m;
    }

    /** libtorch's version, from its build configuration. */
    public static final String LIBTORCH;
    /** The oneDNN version libtorch bundles. */
    public static final String ONEDNN_VERSION;

    static {
        String config = torch.show_config().getString();
        LIBTORCH = find(TORCH, config);
        ONEDNN_VERSION = find(ONEDNN, config);
    }

    private static String find(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? m.group(1) : "unknown";
    }

    /** The CPU's model name, family and model from /proc/cpuinfo (e.g. Zen 4 is family 25, Zen 5 family 26). */
    public static String describeCpu() {
        try {
            String name = "unknown CPU", family = "?", model = "?";
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                if (key.equals("model name") && name.equals("unknown CPU")) name = value;
                if (key.equals("cpu family") && family.equals("?")) family = value;
                if (key.equals("model") && model.equals("?")) model = value;
                if (key.isEmpty() && !name.equals("unknown CPU")) break;
            }
            return name + " (family " + family + " model " + model + ")";
        } catch (IOException e) {
            return System.getProperty("os.arch") + " (no /proc/cpuinfo)";
        }
    }
}
