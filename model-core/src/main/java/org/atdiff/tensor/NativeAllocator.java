package org.atdiff.tensor;

/**
 * How this process's C allocator (glibc malloc, which libtorch's CPU tensors come from) treats freed memory. By default
 * glibc maps every block of 32 MiB or more (a batch-64 activation of the {@code small} U-Net at 32x32 is 32 to 48
 * MiB) afresh from the kernel and unmaps it when freed, and returns freed memory at the top of its heaps, so each
 * training step page-faults its activations in again: on the 2-core VMs of docs/performance.md ("allocator") that
 * was a third of a step. {@code deploy/atdiff} sets {@link #VARIABLE} so that freed memory is kept for reuse (the
 * process's resident memory then stays at its peak); the Spark session passes the driver's value to executors.
 * glibc reads it once, when the process starts: a running JVM can only report it.
 */
public final class NativeAllocator {
    /** glibc's tunables, read at process start. */
    public static final String VARIABLE = "GLIBC_TUNABLES";
    /** The tunable that stops malloc from mapping large blocks one by one (0 = never). */
    private static final String NO_MMAP = "glibc.malloc.mmap_max=0";
    private static final String TRIM = "glibc.malloc.trim_threshold=";

    private NativeAllocator() {}

    /** This process's {@link #VARIABLE}, or null when unset. */
    public static String tunables() {
        String value = System.getenv(VARIABLE);
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Whether {@code tunables} keep freed memory for reuse: no per-block mappings and a trim threshold set. */
    static boolean keepsFreedMemory(String tunables) {
        if (tunables == null) return false;
        boolean noMmap = false, trim = false;
        for (String t : tunables.split(":")) {
            noMmap |= t.trim().equals(NO_MMAP);
            trim |= t.trim().startsWith(TRIM);
        }
        return noMmap && trim;
    }

    /** One line for the logs: what malloc does with freed memory in this process, and how to change it. */
    public static String describe() {
        String t = tunables();
        if (keepsFreedMemory(t)) return "allocator: malloc keeps freed memory for reuse (" + VARIABLE + "=" + t + ")";
        return "allocator: malloc returns large freed blocks to the kernel, so every step page-faults its activations in "
                + "again (" + VARIABLE + (t == null ? " unset" : "=" + t) + "; deploy/atdiff sets it, docs/performance.md, "
                + "\"allocator\")";
    }
}
