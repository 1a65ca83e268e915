package org.atdiff.nn;

import org.atdiff.random.RandomStream;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Inverted dropout (Srivastava et al. 2014): in training mode h * m / (1 - p) with m ~ Bernoulli(1 - p).
 * Masks come from a private libtorch generator that is reseeded from an atdiff {@link RandomStream} once per
 * forward pass, so they are reproducible from the stream's state and independent of torch's global RNG.
 * Shared by all residual blocks of one network.
 */
final class DropoutMasks {
    private final Generator generator;
    private final GeneratorOptional generatorOptional;
    private RandomStream stream;
    private boolean training;

    DropoutMasks(RandomStream stream) {
        this.stream = stream;
        generator = torch.make_generator_cpu(0);
        generator.retainReference();
        generatorOptional = new GeneratorOptional(generator);
        generatorOptional.retainReference();
    }

    void train(boolean on) {
        training = on;
    }

    boolean training() {
        return training;
    }

    RandomStream stream() {
        return stream;
    }

    void stream(RandomStream s) {
        stream = s;
    }

    /** Called once at the start of each forward pass. */
    void beginForward() {
        if (training) generator.set_current_seed(stream.nextLong());
    }

    Tensor apply(Tensor h, double p) {
        if (!training || p == 0) return h;
        Tensor mask = torch.empty_like(h).bernoulli_(1 - p, generatorOptional);
        return h.mul(mask.div_(new Scalar(1 - p)));
    }
}
