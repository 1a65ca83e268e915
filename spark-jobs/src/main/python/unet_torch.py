#!/usr/bin/python3
"""PyTorch reference of atdiff's U-Net for `atdiff bench` (Debian's python3-torch 1.13).

The network mirrors org.atdiff.nn.UNet module for module, with the same parameter names and shapes
(improved-diffusion's and guided-diffusion's), the same forward computation (SiLU of the embedding taken once,
scale-shift norm, qkv laid out per head or split into q, k, v first, convolution or resblock resampling,
concatenated skips, 2C outputs with a learned variance), and a training step like atdiff's TrainingLoop: forward
draw, MSE loss on eps, backward, gradient clipping, AdamW, EMA, zeroed gradients.

Serves JSON requests, one per line on stdin, answering one JSON line each on stdout, so that the bench can
alternate Java and Python runs without restarting either:
  {"cmd": "describe", "preset": "small", "size": 32, "channels": 3}
  {"cmd": "check", "preset": ..., "npz": path}   forward on weights, x and t written by the bench; returns eps
                                                 (the first C channels) and out (all of them); "spec" (an atdiff
                                                 model spec's "unet" object) may replace "preset"
  {"cmd": "exported", "file": path, "npz": path}  forward of `atdiff export` weights (load_exported) on x and t
  {"cmd": "train", "preset": ..., "batch": 64, "steps": 10, "warmup": 2, "precision": "fp32" | "bf16"}
  {"cmd": "phases", "preset": ..., "batch": 64, "steps": 10, "warmup": 2}   a fp32 step timed phase by phase
  {"cmd": "mm", "n": 2048, "dtype": "fp32" | "bf16", "reps": 10}
  {"cmd": "sqrtm", "npz": path}                  FID with scipy.linalg.sqrtm (pytorch-fid's method), timed
  {"cmd": "quit"}
"""
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

def _preset(base, mult, res_blocks, attn_div, head_channels, dropout, learn_sigma=False, resblock_updown=False,
            attention_order="heads-first"):
    return dict(base_channels=base, channel_mult=mult, res_blocks=res_blocks, attention_divisors=attn_div,
                head_channels=head_channels, dropout=dropout, learn_sigma=learn_sigma,
                resblock_updown=resblock_updown, attention_order=attention_order)


# org.atdiff.nn.UNetConfig's presets; attention resolutions as divisors of the image size
PRESETS = {
    "tiny": _preset(32, (1, 2), 1, (2,), 32, 0.0),
    "small": _preset(64, (1, 2, 2), 2, (4,), 32, 0.1),
    "cifar10-adm": _preset(128, (1, 2, 2, 2), 3, (2, 4), 32, 0.3, True, True, "qkv-first"),
    "cifar10-iddpm": _preset(128, (1, 2, 2, 2), 3, (2, 4), 64, 0.3, True),
}


def groups(c):
    return min(32, c)


class GroupNorm(nn.GroupNorm):
    """GroupNorm whose statistics are computed in float32 for a bf16 input, returning bf16: what libtorch 2.x's
    mixed-type CPU kernel does natively; torch 1.13's CPU kernel rejects a bf16 input with float32 weights."""

    def forward(self, x):
        if x.dtype != self.weight.dtype:
            return super().forward(x.to(self.weight.dtype)).to(x.dtype)
        return super().forward(x)


class ResBlock(nn.Module):
    """resample: None, "down" (2x2 average pool) or "up" (nearest), applied to h between the first SiLU and conv and
    to the skip input (guided-diffusion's ResBlock with down / up)."""

    def __init__(self, cin, cout, emb_dim, dropout, resample=None):
        super().__init__()
        self.out_channels = cout
        self.resample = resample
        self.in_layers = nn.Sequential(GroupNorm(groups(cin), cin), nn.SiLU(), nn.Conv2d(cin, cout, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, 2 * cout))
        self.out_layers = nn.Sequential(GroupNorm(groups(cout), cout), nn.SiLU(), nn.Dropout(dropout),
                                        nn.Conv2d(cout, cout, 3, padding=1))
        nn.init.zeros_(self.out_layers[3].weight)
        nn.init.zeros_(self.out_layers[3].bias)
        self.skip_connection = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def _resampled(self, t):
        if self.resample == "down":
            return F.avg_pool2d(t, 2)
        return F.interpolate(t, scale_factor=2, mode="nearest")

    def forward(self, x, emb_act):
        if self.resample is None:
            h = self.in_layers(x)
        else:
            h = self.in_layers[2](self._resampled(self.in_layers[1](self.in_layers[0](x))))
            x = self._resampled(x)
        scale, shift = self.emb_layers[1](emb_act)[:, :, None, None].split(self.out_channels, 1)
        h = torch.addcmul(shift, self.out_layers[0](h), scale + 1)
        h = self.out_layers[3](self.out_layers[2](F.silu(h)))
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """order: "heads-first" (qkv channels per head [q_h, k_h, v_h]) or "qkv-first" ([q, k, v], each split into
    heads)."""

    def __init__(self, channels, head_channels, order):
        super().__init__()
        self.channels = channels
        self.order = order
        self.heads = channels // head_channels
        self.norm = GroupNorm(groups(channels), channels)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)

    def forward(self, x, emb_act):
        b, c, hgt, wid = x.shape
        n, d = hgt * wid, c // self.heads
        flat = x.reshape(b, c, n)
        qkv = self.qkv(self.norm(flat))
        if self.order == "heads-first":
            q, k, v = qkv.reshape(b * self.heads, 3 * d, n).split(d, 1)
        else:
            q, k, v = (part.reshape(b * self.heads, d, n) for part in qkv.split(c, 1))
        # softmax(q^T k / sqrt(d)) v per head (torch 1.13 has no scaled_dot_product_attention)
        w = torch.softmax(torch.bmm(q.transpose(1, 2), k) * (1.0 / math.sqrt(d)), dim=-1)
        a = torch.bmm(v, w.transpose(1, 2))
        return (flat + self.proj_out(a.reshape(b, c, n))).reshape(b, c, hgt, wid)


class Downsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x, emb_act):
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x, emb_act):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class UNet(nn.Module):
    def __init__(self, preset, size, channels, spec=None, learn_sigma=None):
        """A preset's U-Net for size x size images, or the one an atdiff model spec describes (its "unet" object:
        base_channels, channel_mult, res_blocks, attention_resolutions in pixels, head_channels, dropout and, when
        present, learn_sigma, resblock_updown, attention_order; absent ones mean improved-diffusion's layout, as in
        ModelSpec.fromJson). learn_sigma, when given, overrides the preset's or spec's."""
        super().__init__()
        if spec is None:
            spec = dict(PRESETS[preset])
            spec["attention_resolutions"] = [size // a for a in spec["attention_divisors"]]
        if spec.get("num_classes", 0):
            raise ValueError("class-conditional U-Nets (num_classes > 0) are not in this reference")
        base, mult, res_blocks = spec["base_channels"], tuple(spec["channel_mult"]), spec["res_blocks"]
        attn, head_channels, dropout = set(spec["attention_resolutions"]), spec["head_channels"], spec["dropout"]
        updown, order = spec.get("resblock_updown", False), spec.get("attention_order", "heads-first")
        if learn_sigma is None:
            learn_sigma = spec.get("learn_sigma", False)
        self.channels = channels
        emb_dim = 4 * base
        self.base = base
        self.time_embed = nn.Sequential(nn.Linear(base, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.input_blocks = nn.ModuleList([nn.ModuleList([nn.Conv2d(channels, base, 3, padding=1)])])
        skips, ch, res = [base], base, size
        for level, m in enumerate(mult):
            for _ in range(res_blocks):
                blocks = [ResBlock(ch, m * base, emb_dim, dropout)]
                ch = m * base
                if res in attn:
                    blocks.append(AttentionBlock(ch, head_channels, order))
                self.input_blocks.append(nn.ModuleList(blocks))
                skips.append(ch)
            if level < len(mult) - 1:
                down = ResBlock(ch, ch, emb_dim, dropout, "down") if updown else Downsample(ch)
                self.input_blocks.append(nn.ModuleList([down]))
                skips.append(ch)
                res //= 2
        self.middle_block = nn.ModuleList([ResBlock(ch, ch, emb_dim, dropout), AttentionBlock(ch, head_channels, order),
                                           ResBlock(ch, ch, emb_dim, dropout)])
        self.output_blocks = nn.ModuleList()
        for level in reversed(range(len(mult))):
            for i in range(res_blocks + 1):
                blocks = [ResBlock(ch + skips.pop(), mult[level] * base, emb_dim, dropout)]
                ch = mult[level] * base
                if res in attn:
                    blocks.append(AttentionBlock(ch, head_channels, order))
                if level > 0 and i == res_blocks:
                    blocks.append(ResBlock(ch, ch, emb_dim, dropout, "up") if updown else Upsample(ch))
                    res *= 2
                self.output_blocks.append(nn.ModuleList(blocks))
        self.out = nn.Sequential(GroupNorm(groups(ch), ch), nn.SiLU(),
                                 nn.Conv2d(ch, 2 * channels if learn_sigma else channels, 3, padding=1))
        nn.init.zeros_(self.out[2].weight)
        nn.init.zeros_(self.out[2].bias)
        half = base // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
                             .float(), persistent=False)

    def forward(self, x, t):
        args = t.float()[:, None] * self.freqs[None]
        emb = self.time_embed(torch.cat([torch.cos(args), torch.sin(args)], 1))  # cosines first (ADM)
        emb_act = F.silu(emb)
        h = self.input_blocks[0][0](x)
        hs = [h]
        for blocks in self.input_blocks[1:]:
            for b in blocks:
                h = b(h, emb_act)
            hs.append(h)
        for b in self.middle_block:
            h = b(h, emb_act)
        for blocks in self.output_blocks:
            h = torch.cat([h, hs.pop()], 1)
            for b in blocks:
                h = b(h, emb_act)
        return self.out(h)


SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def read_safetensors(path):
    """The tensors and metadata of a safetensors file (its format: an 8-byte little-endian header length, a JSON
    header of name -> dtype, shape, data_offsets, and "__metadata__"; then the data), read with numpy alone."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, h in header.items():
        start, end = h["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype=SAFETENSORS_DTYPES[h["dtype"]]).reshape(h["shape"])
        tensors[name] = torch.from_numpy(arr.astype(np.float32))
    return tensors, meta


def load_exported(path):
    """The U-Net of a file written by `deploy/atdiff export export.what=weights`, in eval mode, and its metadata.

    The file holds the run's EMA weights under the parameter names of this module's UNet (improved- and guided-diffusion's) and
    its model configuration as JSON under metadata "model" ({"unet": {...}, "schedule", "timesteps"}); metadata
    "objective" says what the network predicts: the noise eps(x_t, t) for plain, ip and at, the consistency model's
    raw network output F(x_t, t) for cd and ct (before c_skip / c_out). Inputs: x of shape (N, C, H, W) in [-1, 1]
    units, t of shape (N,) as float timesteps in [0, timesteps). A model with "learn_sigma" in its spec outputs 2C
    channels: eps, then the variance interpolation v in [-1, 1] (improved-diffusion's LEARNED_RANGE).

        model, meta = load_exported("model.safetensors")
        eps = model(x, t)[:, :x.shape[1]]
    """
    tensors, meta = read_safetensors(path)
    if meta.get("format") != "atdiff-unet-v1":
        raise ValueError("%s is not an atdiff weights export (metadata format = %r)" % (path, meta.get("format")))
    spec = json.loads(meta["model"])["unet"]
    model = UNet(None, spec["image_size"], spec["in_channels"], spec).eval()
    model.load_state_dict(tensors)
    return model, meta


class Trainer:
    """One training step like atdiff's TrainingLoop with the plain objective (DDPM eq. 14)."""

    def __init__(self, preset, size, channels, precision):
        torch.manual_seed(0)
        self.model = UNet(preset, size, channels, learn_sigma=False).train()  # eps only, as the bench's plain runs
        self.params = list(self.model.parameters())
        self.opt = torch.optim.AdamW(self.params, lr=1e-4, weight_decay=0.0)
        self.ema = [p.detach().clone() for p in self.params]
        self.precision = precision
        betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)  # linear schedule (DDPM)
        self.abar = torch.cumprod(1 - betas, 0).float()
        self.size, self.channels = size, channels

    def step(self, batch):
        return self.timed_step(batch)[0]

    def timed_step(self, batch):
        """One step; returns the loss and the seconds of its phases: draw, forward, backward, update."""
        t0 = time.perf_counter()
        x0 = torch.rand(batch, self.channels, self.size, self.size) * 2 - 1
        t = torch.randint(0, 1000, (batch,))
        eps = torch.randn_like(x0)
        ab = self.abar[t][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps  # DDPM eq. 4
        t1 = time.perf_counter()
        if self.precision == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out = self.model(xt, t.float())
            out = out.float()
        else:
            out = self.model(xt, t.float())
        loss = (out - eps).square().mean()
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        with torch.no_grad():
            for e, p in zip(self.ema, self.params):
                e.lerp_(p, 1 - 0.9999)
        self.opt.zero_grad(set_to_none=False)
        t4 = time.perf_counter()
        return loss.item(), [t1 - t0, t2 - t1, t3 - t2, t4 - t3]


_trainers = {}


def handle(req):
    cmd = req["cmd"]
    size, channels = req.get("size", 32), req.get("channels", 3)
    if cmd == "describe":
        model = UNet(req["preset"], size, channels)
        shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
        return {"parameters": sum(p.numel() for p in model.parameters()), "shapes": shapes,
                "torch": torch.__version__, "threads": torch.get_num_threads()}
    if cmd == "check":
        data = np.load(req["npz"])
        model = UNet(req.get("preset"), size, channels, req.get("spec")).eval()
        model.load_state_dict({k: torch.from_numpy(data["w." + k]) for k in model.state_dict()})
        with torch.no_grad():
            out = model(torch.from_numpy(data["x"]), torch.from_numpy(data["t"]))
        return {"eps": out[:, :channels].flatten().tolist(), "out": out.flatten().tolist()}
    if cmd == "exported":
        model, _ = load_exported(req["file"])
        data = np.load(req["npz"])
        with torch.no_grad():
            eps = model(torch.from_numpy(data["x"]), torch.from_numpy(data["t"]))
        return {"eps": eps.flatten().tolist()}
    if cmd in ("train", "phases"):
        key = (req["preset"], size, channels, req.get("precision", "fp32"))
        if key not in _trainers:
            _trainers.clear()  # one model at a time: cifar10-adm's state is large
            _trainers[key] = Trainer(req["preset"], size, channels, key[3])
        tr = _trainers[key]
        if cmd == "phases":
            phases = []
            for i in range(req["warmup"] + req["steps"]):
                split = tr.timed_step(req["batch"])[1]
                if i >= req["warmup"]:
                    phases.append(split)
            return {"phases": phases}
        losses, times = [], []
        for i in range(req["warmup"] + req["steps"]):
            start = time.perf_counter()
            loss = tr.step(req["batch"])
            if i >= req["warmup"]:
                times.append(time.perf_counter() - start)
                losses.append(loss)
        return {"seconds": times, "losses": losses}
    if cmd == "mm":
        dtype = torch.bfloat16 if req["dtype"] == "bf16" else torch.float32
        n = req["n"]
        a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
        torch.mm(a, b)
        times = []
        for _ in range(req["reps"]):
            start = time.perf_counter()
            torch.mm(a, b)
            times.append(time.perf_counter() - start)
        return {"seconds": times}
    if cmd == "conv":
        # one 3x3 convolution forward + backward in fp32 (the Java side: ConvTiming)
        x = torch.randn(req["batch"], req["cin"], req["size"], req["size"])
        w = torch.randn(req["cout"], req["cin"], 3, 3) * 0.05
        if req["channels_last"]:
            x, w = x.contiguous(memory_format=torch.channels_last), w.contiguous(memory_format=torch.channels_last)
        x.requires_grad_(True)
        w.requires_grad_(True)
        b = torch.zeros(req["cout"], requires_grad=True)
        with torch.backends.mkldnn.flags(enabled=req.get("mkldnn", True)):
            F.conv2d(x, w, b, padding=1).sum().backward()
            times = []
            for _ in range(req["reps"]):
                start = time.perf_counter()
                F.conv2d(x, w, b, padding=1).sum().backward()
                times.append(time.perf_counter() - start)
        return {"seconds": times}
    if cmd == "sqrtm":
        import scipy.linalg
        data = np.load(req["npz"])
        mu1, s1, mu2, s2 = data["mu1"], data["sigma1"], data["mu2"], data["sigma2"]
        start = time.perf_counter()
        # pytorch-fid's calculate_frechet_distance: Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 S2)) + |mu1 - mu2|^2
        covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
        if np.iscomplexobj(covmean):
            covmean = covmean.real
        diff = mu1 - mu2
        fid = diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
        return {"seconds": time.perf_counter() - start, "fid": float(fid)}
    raise ValueError("unknown command " + cmd)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        if req["cmd"] == "quit":
            break
        try:
            out = handle(req)
        except Exception as e:  # report to the bench, keep serving
            out = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
