package org.atdiff.nn.inception;

import java.util.Arrays;
import java.util.List;
import org.atdiff.engine.ConvolutionEngine;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * torchvision's BasicConv2d in evaluation mode: a bias-free convolution, BatchNorm with its running statistics
 * (eps 0.001) and ReLU. The BatchNorm is folded into the convolution when loaded, so forward is one conv and an
 * in-place ReLU.
 */
public final class ConvBnRelu {
    /** BatchNorm epsilon of torchvision's BasicConv2d, which the FID Inception weights were ported for. */
    public static final double BN_EPS = 1e-3;

    private final Tensor weight;
    private final Tensor bias;
    private final long[] stride;
    private final long[] padding;

    private ConvBnRelu(Tensor weight, Tensor bias, long[] stride, long[] padding) {
        this.weight = weight;
        this.bias = bias;
        this.stride = stride;
        this.padding = padding;
    }

    /**
     * Reads {@code name.conv.weight} [out, in, kh, kw] and {@code name.bn.{weight,bias,running_mean,running_var}}
     * [out] and folds them: BN(conv(x)) = conv(x; W * s) + (beta - mean * s) with s = gamma / sqrt(var + eps)
     * (Ioffe and Szegedy 2015, eq. in Alg. 2, in inference), computed in double and stored as float.
     */
    public static ConvBnRelu load(WeightSource source, String name, long in, long out, long kh, long kw,
                                  long stride, long padH, long padW) {
        Tensor w = source.tensor(name + ".conv.weight", out, in, kh, kw).to(ScalarType.Double);
        Tensor gamma = source.tensor(name + ".bn.weight", out).to(ScalarType.Double);
        Tensor beta = source.tensor(name + ".bn.bias", out).to(ScalarType.Double);
        Tensor mean = source.tensor(name + ".bn.running_mean", out).to(ScalarType.Double);
        Tensor var = source.tensor(name + ".bn.running_var", out).to(ScalarType.Double);
        Tensor scale = gamma.mul(var.add(new Scalar(BN_EPS)).rsqrt());
        Tensor foldedWeight = w.mul(scale.view(out, 1, 1, 1)).to(ScalarType.Float)
                .contiguous(torch.MemoryFormat.ChannelsLast); // matches the channels-last activations
        Tensor foldedBias = beta.sub(mean.mul(scale)).to(ScalarType.Float).contiguous();
        return new ConvBnRelu(foldedWeight, foldedBias, new long[] {stride, stride}, new long[] {padH, padW});
    }

    /**
     * One convolution computing all of {@code convs} on the same input, their outputs stacked along channels in
     * the given order (the 1x1 heads of an Inception block read the same tensor; one larger GEMM is faster).
     */
    public static ConvBnRelu stack(ConvBnRelu... convs) {
        TensorVector weights = new TensorVector();
        TensorVector biases = new TensorVector();
        for (ConvBnRelu c : convs) {
            if (!Arrays.equals(c.stride, convs[0].stride) || !Arrays.equals(c.padding, convs[0].padding)
                    || c.weight.size(1) != convs[0].weight.size(1) || c.weight.size(2) != convs[0].weight.size(2)
                    || c.weight.size(3) != convs[0].weight.size(3)) {
                throw new IllegalArgumentException("only convolutions of equal geometry can be stacked");
            }
            weights.push_back(c.weight);
            biases.push_back(c.bias);
        }
        return new ConvBnRelu(torch.cat(weights, 0).contiguous(torch.MemoryFormat.ChannelsLast), torch.cat(biases, 0),
                convs[0].stride, convs[0].padding);
    }

    public Tensor forward(Tensor x) {
        return torch.relu_(ConvolutionEngine.conv2d(x, weight, bias, stride, padding));
    }

    public long outChannels() {
        return weight.size(0);
    }

    /** The folded tensors this unit holds (weight, bias), for lifetime management by the owning network. */
    public List<Tensor> tensors() {
        return List.of(weight, bias);
    }
}
