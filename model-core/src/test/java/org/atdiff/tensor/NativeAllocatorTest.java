package org.atdiff.tensor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NativeAllocatorTest {
    @Test
    void freedMemoryIsKeptOnlyInOneArenaWithoutPerBlockMappingsAndWithATrimThreshold() {
        assertTrue(NativeAllocator.keepsFreedMemory(
                "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184:glibc.malloc.arena_max=1"));
        assertTrue(NativeAllocator.keepsFreedMemory(
                "glibc.cpu.x86_foo=1:glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=1:glibc.malloc.mmap_max=0"));
        assertFalse(NativeAllocator.keepsFreedMemory(null));
        assertFalse(NativeAllocator.keepsFreedMemory("glibc.malloc.mmap_max=0:glibc.malloc.arena_max=1"),
                "freed heap tops still trimmed");
        assertFalse(NativeAllocator.keepsFreedMemory("glibc.malloc.trim_threshold=17179869184:glibc.malloc.arena_max=1"),
                "large blocks still mapped");
        assertFalse(NativeAllocator.keepsFreedMemory("glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184"),
                "threads' own arenas still map large blocks");
        assertFalse(NativeAllocator.keepsFreedMemory("glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1:glibc.malloc.arena_max=2"));
        assertFalse(NativeAllocator.keepsFreedMemory("glibc.malloc.mmap_max=01:glibc.malloc.trim_threshold=1:glibc.malloc.arena_max=1"));
    }

    @Test
    void theLogLineSaysWhatThisProcessDoes() {
        String line = NativeAllocator.describe();
        assertTrue(line.startsWith("allocator: "), line);
        assertTrue(line.contains(NativeAllocator.VARIABLE), line);
        assertTrue(NativeAllocator.keepsFreedMemory(NativeAllocator.tunables()) == line.contains("keeps freed memory"), line);
    }
}
