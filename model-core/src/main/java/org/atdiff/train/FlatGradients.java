package org.atdiff.train;

import java.util.List;
import org.atdiff.optim.NoGradScope;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One contiguous float buffer, allocated once and reused every step, holding the gradients of all parameters in
 * order followed by one slot for the loss: the unit a {@link GradientSync} all-reduces. An undefined gradient is
 * gathered as zeros and scattered back as a defined gradient.
 */
public final class FlatGradients {
    private final List<Tensor> params;
    private final long[] offsets;
    private final long size;
    private final Tensor buffer;

    public FlatGradients(List<Tensor> params) {
        this.params = params.stream().map(p -> new Tensor(p).<Tensor>retainReference()).toList(); // outlive any caller scope
        offsets = new long[params.size()];
        long n = 0;
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = n;
            n += params.get(i).numel();
        }
        size = n;
        buffer = torch.zeros(n + 1).retainReference(); // float32, the default dtype
    }

    /** The buffer: [gradients of all parameters..., loss]. */
    public Tensor buffer() {
        return buffer;
    }

    /** Number of gradient elements (the buffer has one more, the loss). */
    public long gradientSize() {
        return size;
    }

    /** Copies every parameter's gradient and the loss into the buffer. */
    public void gather(double loss) {
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            for (int i = 0; i < offsets.length; i++) {
                Tensor p = params.get(i);
                Tensor slot = buffer.narrow(0, offsets[i], p.numel());
                Tensor grad = p.grad();
                if (grad.defined()) slot.copy_(grad.reshape(-1));
                else slot.zero_();
            }
            buffer.narrow(0, size, 1).fill_(new Scalar(loss));
        }
    }

    /** The loss slot of the buffer. */
    public double loss() {
        try (PointerScope scope = new PointerScope()) {
            return buffer.narrow(0, size, 1).item_double();
        }
    }

    /** Copies the buffer's gradients back into the parameters' gradients. */
    public void scatter() {
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            for (int i = 0; i < offsets.length; i++) {
                Tensor p = params.get(i);
                if (!p.grad().defined()) p.mutable_grad().put(torch.zeros_like(p));
                p.grad().copy_(buffer.narrow(0, offsets[i], p.numel()).view(p.sizes()));
            }
        }
    }
}
