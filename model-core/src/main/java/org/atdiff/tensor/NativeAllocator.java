package org.atdiff.tensor;

/**
 * How this process's C allocator (glibc malloc, which libtorch's CPU tensors come from) treats freed memory. By default
 * glibc maps every block of 32 MiB or more (a batch-64 activation of the {@code small} U-Net at 32x32 is 32 to 48
 * MiB) afresh from the kernel and unmaps it when freed, and returns freed memory at the top of its heaps, so each
 * training step page-faults its activations in again: on the 2-core VMs of docs/performance.md ("allocator") that
 * was a third of a step. Every JVM thread is a thread other than the process's first, and such threads allocate from
 * arenas of their own that still mapped blocks afresh with the first two tunables set (148 thousand page faults a
 * step of {@code small} at batch 64, 1.7 thousand with one arena). {@code deploy/atdiff} sets {@link #VARIABLE} so
 * that freed memory is kept for reuse in one arena (the process's resident memory then stays at its peak); the Spark
 * session passes the driver's value to executors. glibc reads it once, when the process starts: a running JVM can
 * only report it.
 */
public final class NativeAllocator {
    /** glibc's tunables, read at process start. */
    public static final String VARIABLE = "GLIBC_TUNABLES";
    /** The tunable that stops malloc from mapping large blocks one by one (0 = never). */
    private static final String NO_MMAP = "glibc.malloc.mmap_max=0";
    private static final String TRIM = "glibc.malloc.trim_threshold=";
    /** The tunable that makes every thread allocate from the process's main heap, where the two above apply. */
    private static final String ONE_ARENA = "glibc.malloc.arena_max=1";

    private NativeAllocator() {}

    /** This process's {@link #VARIABLE}, or null when unset. */
    public static String tunables() {
        String value = System.getenv(VARIABLE);
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Whether {@code tunables} keep freed memory for reuse: one arena, no per-block mappings, a trim threshold set. */
    static boolean keepsFreedMemory(String tunables) {
        if (tunables == null) return false;
        boolean noMmap = false, trim = false, oneArena = false;
        for (String t : tunables.split(":")) {
            noMmap |= t.trim().equals(NO_MMAP);
            trim |= t.trim().startsWith(TRIM);
            oneArena |= t.trim().equals(ONE_ARENA);
        }
        return noMmap && trim && oneArena;
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
