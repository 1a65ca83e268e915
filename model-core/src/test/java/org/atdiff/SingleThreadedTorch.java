package org.atdiff;

import org.atdiff.tensor.EngineThreads;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class with one libtorch intra-op thread and restores the previous count afterwards: tiny models gain
 * nothing from intra-op threads, and on a shared 2-core machine their synchronisation dominates.
 * Use as {@code @ExtendWith(SingleThreadedTorch.class)}.
 */
public final class SingleThreadedTorch implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SingleThreadedTorch.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("threads", torch.get_num_threads());
        EngineThreads.use(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        EngineThreads.use(context.getStore(NS).get("threads", Integer.class));
    }
}
