package org.atdiff.consistency;

import org.atdiff.nn.Denoiser;
import org.atdiff.settings.SettingChecks;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * One step of the teacher's probability-flow ODE between adjacent discretisation points, as consistency distillation
 * needs (Song et al., "Consistency Models", 2023, Algorithm 2: x^_n = x_{n+1} + (t_n - t_{n+1}) Phi(x_{n+1}, t_{n+1})).
 * In the CM (variance-exploding) coordinates x = x0 + sigma eps the ODE is dx/dsigma = eps_phi(x, sigma)
 * (Karras et al., "Elucidating the Design Space of Diffusion-Based Generative Models", 2022, eq. 3 with
 * sigma(t) = t), so an Euler step in sigma is exactly a deterministic DDIM step (Song, Meng and Ermon 2021, eq. 14).
 * Conf key {@code cm.solver}.
 */
public enum TeacherSolver {
    /** x_n = x_{n+1} + (sigma_n - sigma_{n+1}) eps(x_{n+1}, t_{n+1}): one teacher evaluation. */
    DDIM,
    /** Heun's second-order correction (Karras et al. 2022, Algorithm 1): two teacher evaluations. */
    HEUN;

    public String label() {
        return SettingChecks.configName(this);
    }

    /** Teacher evaluations per step. */
    public int evaluations() {
        return this == DDIM ? 1 : 2;
    }

    /**
     * @param x    the state at the timesteps {@code from}, CM coordinates [B, C, H, W]
     * @param from schedule timesteps t_{n+1} per sample
     * @param to   schedule timesteps t_n per sample (to[b] < from[b])
     * @return the state at {@code to}; call without gradient recording
     */
    public Tensor step(Denoiser teacher, ConsistencyParameterization p, Tensor x, int[] from, int[] to, Tensor labels) {
        Tensor d1 = p.noise(teacher, x, from, labels);
        Tensor h = p.perSample(from.length, b -> p.sigma(to[b]) - p.sigma(from[b]), x);
        Tensor euler = x.add(d1.mul(h)); // x + (sigma_n - sigma_{n+1}) eps
        if (this == DDIM) return euler;
        Tensor d2 = p.noise(teacher, euler, to, labels);
        return x.add(d1.add(d2).mul(h).mul(new Scalar(0.5))); // x + h (d1 + d2) / 2
    }

    public static TeacherSolver named(String name) {
        return SettingChecks.choice("cm.solver", name, values(), TeacherSolver::label);
    }
}
