package org.atdiff.jobs.deploy;

import java.io.File;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_gloo;

/**
 * Unpacks libtorch's natives (libtorch, Gloo, OpenBLAS; about 445 MB) from the jar into JavaCPP's cache folder
 * ({@code -Dorg.bytedeco.javacpp.cachedir}) and prints that folder. Run it once when building a container image or
 * preparing a node, so executors start without unpacking:
 * {@code java -Dorg.bytedeco.javacpp.cachedir=DIR -cp atdiff-assembly.jar org.atdiff.jobs.deploy.NativeLibraries}.
 */
public final class NativeLibraries {
    private NativeLibraries() {}

    /** Loads libtorch and its Gloo bindings, which unpacks them; returns the cache folder. */
    public static File unpack() throws Exception {
        Loader.load(torch.class);
        Loader.load(torch_gloo.class);
        return Loader.getCacheDir();
    }

    public static void main(String[] args) throws Exception {
        System.out.println(unpack().getAbsolutePath());
    }
}
