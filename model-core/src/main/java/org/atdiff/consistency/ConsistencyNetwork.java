package org.atdiff.consistency;

import static org.atdiff.settings.SettingChecks.given;
import org.atdiff.nn.Denoiser;
import org.bytedeco.pytorch.Tensor;

/**
 * An eps-prediction network (the U-Net) in the skip/out parameterisation of {@link ConsistencyParameterization}:
 * f(x, t) = c_skip(t) x + c_out(t) F(x, t), F the network's x0 prediction. The student, the target network and a
 * trained consistency model for sampling are all of this form.
 */
public final class ConsistencyNetwork implements ConsistencyFunction {
    private final Denoiser network;
    private final ConsistencyParameterization parameterization;

    public ConsistencyNetwork(Denoiser network, ConsistencyParameterization parameterization) {
        this.network = given("network", network);
        this.parameterization = given("parameterization", parameterization);
    }

    public Denoiser network() {
        return network;
    }

    @Override
    public ConsistencyParameterization parameterization() {
        return parameterization;
    }

    @Override
    public Tensor apply(Tensor x, int[] t, Tensor labels) {
        return parameterization.consistency(network, x, t, labels);
    }
}
