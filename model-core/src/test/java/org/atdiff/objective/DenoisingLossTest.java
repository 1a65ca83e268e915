package org.atdiff.objective;

import org.atdiff.train.ReferenceSettings;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.atdiff.SingleThreadedTorch;
import org.atdiff.diffusion.LinearSchedule;
import org.atdiff.diffusion.NoiseSchedule;
import org.atdiff.nn.DenoiserOutput;
import org.atdiff.nn.UNet;
import org.atdiff.nn.UNetConfig;
import org.atdiff.optim.NoGradScope;
import org.atdiff.random.BatchNoise;
import org.atdiff.random.RandomStream;
import org.atdiff.tensor.HostTensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The hybrid loss L_simple + lambda L_vlb of a learned-variance model: gradients against central differences in
 * double, the stop-gradient that keeps the two heads apart, and the objectives that use it.
 */
@ExtendWith(SingleThreadedTorch.class)
class DenoisingLossTest {
    private static final NoiseSchedule SCHEDULE = new LinearSchedule(1000);
    private static final int[] T = {0, 5, 700}; // the decoder term and two KL terms
    private static final double[] W = {1.0, 0.5, 2.0}; // importance weights
    private static final double H = 1e-6;

    /** images on the uint8 grid in [-1, 1], double */
    static Tensor gridImages(long seed, long... shape) {
        Tensor u = new RandomStream(seed).normal(shape).mul(new Scalar(0.5)).clamp(
                new org.bytedeco.pytorch.ScalarOptional(new Scalar(-1.0)), new org.bytedeco.pytorch.ScalarOptional(new Scalar(1.0)));
        return u.add(new Scalar(1.0)).mul(new Scalar(127.5)).round().div(new Scalar(127.5)).sub(new Scalar(1.0))
                .to(ScalarType.Double);
    }

    static Tensor randn(long seed, long... shape) {
        return new RandomStream(seed).normal(shape).to(ScalarType.Double);
    }

    static double dot(Tensor a, Tensor b) {
        return a.mul(b).sum().item_double();
    }

    static Tensor step(Tensor x, Tensor direction, double h) {
        return x.add(direction.mul(new Scalar(h)));
    }

    /** mean_b w_b (L_simple + (T / 1000) L_t) */
    static Tensor weighted(Tensor perSample) {
        return perSample.mul(HostTensors.fromDoubles(W, W.length)).mean();
    }

    @Test
    void hybridGradientsMatchCentralDifferencesWithTheMeanStopped() {
        try (PointerScope scope = new PointerScope()) {
            long[] shape = {3, 2, 4, 4};
            Tensor x0 = gridImages(1, shape), noise = randn(2, shape);
            Tensor xt = SCHEDULE.addNoise(x0, noise, T).to(ScalarType.Double);
            Tensor target = noise.add(randn(3, shape).mul(new Scalar(0.05))); // like AT's delta_detach target
            Tensor input = xt.add(randn(4, shape).mul(new Scalar(0.02))).set_requires_grad(true); // x_t + delta
            Tensor eps = noise.add(randn(5, shape).mul(new Scalar(0.3))).set_requires_grad(true);
            Tensor v = randn(6, shape).mul(new Scalar(0.5)).set_requires_grad(true);
            Tensor loss = weighted(DenoisingLoss.perSample(SCHEDULE, T, new DenoiserOutput(eps, v), target, input, x0, xt));
            loss.backward();
            Tensor gEps = eps.grad(), gV = v.grad(), gInput = input.grad();
            Tensor e0 = eps.detach(), v0 = v.detach(), in0 = input.detach();
            try (NoGradScope g = new NoGradScope()) {
                // v enters through L_vlb only: the total loss's central difference
                Tensor d = randn(7, shape);
                double fd = (total(e0, step(v0, d, H), in0, target, x0, xt) - total(e0, step(v0, d, -H), in0, target, x0, xt)) / (2 * H);
                assertEquals(fd, dot(gV, d), 1e-6 * Math.abs(fd), "dL/dv");
                assertTrue(Math.abs(fd) > 1e-3, "v matters: " + fd);
                // eps: the gradient is L_simple's alone (sg inside L_vlb) ...
                d = randn(8, shape);
                double fdSimple = (simpleOnly(step(e0, d, H), target) - simpleOnly(step(e0, d, -H), target)) / (2 * H);
                assertEquals(fdSimple, dot(gEps, d), 1e-6 * Math.abs(fdSimple), "dL/d eps");
                // ... although the bound does depend on eps: without the stop-gradient the derivative would differ
                double fdTotal = (total(step(e0, d, H), v0, in0, target, x0, xt) - total(step(e0, d, -H), v0, in0, target, x0, xt)) / (2 * H);
                assertTrue(Math.abs(fdTotal - fdSimple) > 1e-3 * Math.abs(fdSimple), fdTotal + " vs " + fdSimple);
                // the input (x_t + delta) enters the model's mean in L_vlb: the total loss's central difference
                d = randn(9, shape);
                double fdIn = (total(e0, v0, step(in0, d, H), target, x0, xt) - total(e0, v0, step(in0, d, -H), target, x0, xt)) / (2 * H);
                assertEquals(fdIn, dot(gInput, d), 1e-6 * Math.abs(fdIn), "dL/d input");
            }
        }
    }

    private static double total(Tensor eps, Tensor v, Tensor input, Tensor target, Tensor x0, Tensor xt) {
        return weighted(DenoisingLoss.perSample(SCHEDULE, T, new DenoiserOutput(eps, v), target, input, x0, xt)).item_double();
    }

    private static double simpleOnly(Tensor eps, Tensor target) {
        return weighted(DenoisingLoss.simple(DenoiserOutput.fixedVariance(eps), target)).item_double();
    }

    @Test
    void theHybridLossIsTheSimpleLossPlusTheRescaledBoundTerm() {
        try (PointerScope scope = new PointerScope()) {
            long[] shape = {3, 1, 2, 2};
            Tensor x0 = gridImages(11, shape), xt = randn(12, shape), eps = randn(13, shape), v = randn(14, shape);
            NoiseSchedule short4000 = new LinearSchedule(4000); // T / 1000 = 4
            Tensor both = DenoisingLoss.perSample(short4000, T, new DenoiserOutput(eps, v), xt, xt, x0, xt);
            Tensor simple = DenoisingLoss.simple(new DenoiserOutput(eps, v), xt);
            Tensor vlb = DenoisingLoss.vlb(short4000, T, new DenoiserOutput(eps, v), xt, x0, xt);
            assertArrayEquals(HostTensors.toDoubles(simple.add(vlb.mul(new Scalar(4.0)))), HostTensors.toDoubles(both), 1e-12);
            // a fixed-variance model's loss is L_simple alone
            assertArrayEquals(HostTensors.toDoubles(simple), HostTensors.toDoubles(DenoisingLoss.perSample(short4000, T,
                    DenoiserOutput.fixedVariance(eps), xt, xt, x0, xt)), 0.0);
        }
    }

    private static UNet learnedVarianceUNet(ScalarType dtype) {
        UNet model = new UNet(UNetConfig.preset("tiny", 8, 2).withLearnSigma(true), 21, dtype);
        RandomStream s = new RandomStream(22);
        try (PointerScope scope = new PointerScope(); NoGradScope g = new NoGradScope()) {
            for (Tensor p : model.parameters()) { // the output layer starts at zero: move every weight off it
                p.add_(s.normal(p.sizes().vec().get()).to(p.scalar_type()).mul(new Scalar(0.05)));
            }
        }
        return model;
    }

    /** The output convolution's gradient rows: [0, C) make eps, [C, 2C) make v. */
    private static double[] headGradientNorms(UNet model) {
        Tensor g = model.stateDict().get("out.2.weight").grad();
        return new double[] {g.narrow(0, 0, 2).norm().item_double(), g.narrow(0, 2, 2).norm().item_double()};
    }

    private static void zero(UNet model) {
        try (NoGradScope g = new NoGradScope()) {
            for (Tensor p : model.parameters()) if (p.grad().defined()) p.grad().zero_();
        }
    }

    @Test
    void theVarianceHeadLearnsOnlyFromTheBoundAndTheMeanOnlyFromTheSimpleLoss() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = learnedVarianceUNet(ScalarType.Float);
            Tensor x0 = gridImages(31, 3, 2, 8, 8).to(ScalarType.Float);
            ForwardDraw d = ForwardDraw.draw(SCHEDULE, x0, null, BatchNoise.forSamples(32, 0, 3));
            DenoiserOutput out = model.predict(d.xt(), d.timesteps(), null);
            DenoisingLoss.simple(out, d.eps()).mean().backward();
            double[] fromSimple = headGradientNorms(model);
            assertEquals(0.0, fromSimple[1], 0.0, "v rows get nothing from L_simple");
            assertTrue(fromSimple[0] > 0);
            zero(model);
            out = model.predict(d.xt(), d.timesteps(), null);
            DenoisingLoss.vlb(SCHEDULE, d.indices(), out, d.xt(), x0, d.xt()).mean().backward();
            double[] fromBound = headGradientNorms(model);
            assertEquals(0.0, fromBound[0], 0.0, "eps rows get nothing from L_vlb");
            assertTrue(fromBound[1] > 0);
        }
    }

    @Test
    void theHybridLossThroughTheUNetMatchesCentralDifferencesInDouble() {
        try (PointerScope scope = new PointerScope()) {
            UNet model = learnedVarianceUNet(ScalarType.Double);
            long[] shape = {3, 2, 8, 8};
            Tensor x0 = gridImages(41, shape), noise = randn(42, shape);
            Tensor xt = SCHEDULE.addNoise(x0, noise, T).to(ScalarType.Double);
            Tensor t = SCHEDULE.modelTimesteps(T);
            Tensor loss = weighted(DenoisingLoss.perSample(SCHEDULE, T, model.predict(xt, t, null), noise, xt, x0, xt));
            loss.backward();
            List<Tensor> params = model.parameters();
            List<Tensor> grads = new ArrayList<>(), directions = new ArrayList<>(), start = new ArrayList<>();
            double analytic = 0;
            for (int i = 0; i < params.size(); i++) {
                Tensor dir = randn(100 + i, params.get(i).sizes().vec().get());
                directions.add(dir);
                start.add(params.get(i).detach().clone());
                analytic += dot(params.get(i).grad(), dir);
            }
            Tensor eps0;
            try (NoGradScope g = new NoGradScope()) {
                eps0 = model.predict(xt, t, null).eps().detach(); // sg(eps_theta) at the point of the derivative
            }
            double[] f = new double[2];
            for (int side = 0; side < 2; side++) {
                try (NoGradScope g = new NoGradScope()) {
                    for (int i = 0; i < params.size(); i++) {
                        params.get(i).copy_(step(start.get(i), directions.get(i), side == 0 ? H : -H));
                    }
                    DenoiserOutput out = model.predict(xt, t, null);
                    // f(theta) = L_simple(eps_theta) + (T / 1000) L_t(sg(eps_theta0), v_theta): the stop-gradient's meaning
                    Tensor per = DenoisingLoss.simple(out, noise).add(DenoisingLoss.vlb(SCHEDULE, T,
                            new DenoiserOutput(eps0, out.v()), xt, x0, xt).mul(new Scalar(SCHEDULE.timesteps() * DenoisingLoss.VLB_WEIGHT)));
                    f[side] = weighted(per).item_double();
                }
            }
            double fd = (f[0] - f[1]) / (2 * H);
            System.out.printf("hybrid loss through the U-Net: directional derivative %.10g, central difference %.10g%n", analytic, fd);
            assertEquals(fd, analytic, 1e-6 * Math.abs(fd));
        }
    }

    /**
     * Free AT's hybrid loss evaluates L_vlb where its target's noise lives, as the authors' code does: the posterior
     * and the model's mean at x_t + delta for delta_detach and delta, at x_t for original (checked on a replay with
     * delta != 0, weights held).
     */
    @Test
    void freeAtEvaluatesTheBoundAtThePointItsTargetExplains() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x0 = gridImages(61, 3, 2, 8, 8);
            UNet model = learnedVarianceUNet(ScalarType.Double);
            for (AdversarialSettings.Target kind : AdversarialSettings.Target.values()) {
                List<Tensor> deltas = new ArrayList<>();
                List<Double> losses = new ArrayList<>();
                FreeAdversarialObjective at = new FreeAdversarialObjective(new AdversarialSettings(2, 0.5, 0.5,
                        AdversarialSettings.Norm.L2, kind));
                at.observe((k, delta, g, target, loss) -> {
                    deltas.add(delta.clone().retainReference());
                    losses.add(loss);
                });
                at.step(model, SCHEDULE, x0, null, BatchNoise.forSamples(62, 0, 3), loss -> zero(model));
                ForwardDraw d = ForwardDraw.draw(SCHEDULE, x0, null, BatchNoise.forSamples(62, 0, 3));
                try (NoGradScope ng = new NoGradScope()) {
                    Tensor delta = deltas.get(1), perturbed = d.xt().add(delta);
                    DenoiserOutput out = model.predict(perturbed, d.timesteps(), null);
                    Tensor target = FreeAdversarialObjective.target(d.eps(), delta, d.indices(), SCHEDULE, kind);
                    Tensor point = kind == AdversarialSettings.Target.ORIGINAL ? d.xt() : perturbed;
                    double expected = DenoisingLoss.perSample(SCHEDULE, d.indices(), out, target, point, x0, point).mean().item_double();
                    double mixed = DenoisingLoss.perSample(SCHEDULE, d.indices(), out, target, perturbed, x0, d.xt()).mean().item_double();
                    assertEquals(expected, losses.get(1), 1e-9 * expected, kind.label());
                    assertNotEquals(expected, mixed, 1e-6 * expected, kind.label() + ": the point matters");
                }
            }
        }
    }

    @Test
    void everyDpmObjectiveTrainsALearnedVarianceModelWithTheHybridLoss() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x0 = gridImages(51, 4, 2, 8, 8).to(ScalarType.Float);
            List<Double> firstLosses = new ArrayList<>();
            for (TrainingObjective objective : List.of(new PlainObjective(), new InputPerturbationObjective(0.1),
                    new FreeAdversarialObjective(ReferenceSettings.AT))) {
                UNet model = learnedVarianceUNet(ScalarType.Float);
                List<double[]> heads = new ArrayList<>();
                List<Double> losses = new ArrayList<>();
                StepStats stats = objective.step(model, SCHEDULE, x0, null, BatchNoise.forSamples(52, 0, 4), loss -> {
                    heads.add(headGradientNorms(model));
                    losses.add(loss);
                    zero(model);
                });
                assertTrue(Double.isFinite(stats.loss()), objective + ": " + stats.loss());
                for (double[] h : heads) assertTrue(h[0] > 0 && h[1] > 0, objective + ": both heads learn");
                firstLosses.add(losses.get(0));
            }
            // AT's first replay (delta = 0, target eps + 0) is the plain step on the same draws
            assertEquals(firstLosses.get(0), firstLosses.get(2), 1e-6 * firstLosses.get(0));
            assertNotEquals(firstLosses.get(0), firstLosses.get(1)); // ip perturbs the input
        }
    }
}
