#!/usr/bin/env python3
"""Reference features for FidInceptionV3Test.

Builds pytorch-fid's FID Inception-v3 (torchvision's Inception3 with num_classes=1008, aux_logits=False and the
FIDInceptionA/C/E_1/E_2 patches) from torch.nn alone, with random weights from a fixed seed, and writes to OUT_DIR:
  fid_inception.pth          the state dict, under pytorch-fid's names (fc.* and num_batches_tracked included),
                             as the published pt_inception-2015-12-05-6726825d.pth would be
  reference.safetensors      inputs and the pool3 features pytorch-fid's InceptionV3([3]) returns for them

Weights: torchvision's init (normal, std 0.1, for conv and fc), random BatchNorm affine parameters
(gamma in [0.2, 0.6], beta in [0, 0.4]) and running statistics measured on random images, so activations stay of
order one through all 94 convolutions. With gamma near 1 this random network amplifies rounding errors about 1.6x
per block (float32 alone then differs from float64 by 1e-4 relative); the smaller gammas keep that near 1e-5
(--check-float64 prints it), well inside the test's 1e-4 tolerance.

Usage: /usr/bin/python3 fid_inception_reference.py [--check-float64] OUT_DIR   (needs torch and numpy only)
"""
import importlib.util
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicConv(nn.Module):
    """Conv (no bias) + BatchNorm(eps=1e-3) + ReLU, with the sub-module names conv and bn."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def avg_pool_tf(x):
    """3x3/1 average pool that ignores padded zeros (the TensorFlow behaviour pytorch-fid patches in)."""
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class MixedA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv(cin, 64, 1)
        self.branch5x5_1 = BasicConv(cin, 48, 1)
        self.branch5x5_2 = BasicConv(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv(96, 96, 3, padding=1)
        self.branch_pool = BasicConv(cin, pool_features, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch5x5_2(self.branch5x5_1(x))
        c = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        d = self.branch_pool(avg_pool_tf(x))
        return torch.cat([a, b, c, d], 1)


class MixedB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv(96, 96, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3(x)
        b = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([a, b, F.max_pool2d(x, 3, stride=2)], 1)


class MixedC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv(cin, 192, 1)
        self.branch7x7_1 = BasicConv(cin, c7, 1)
        self.branch7x7_2 = BasicConv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        c = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            c = layer(c)
        d = self.branch_pool(avg_pool_tf(x))
        return torch.cat([a, b, c, d], 1)


class MixedD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv(cin, 192, 1)
        self.branch3x3_2 = BasicConv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv(192, 192, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3_2(self.branch3x3_1(x))
        b = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([a, b, F.max_pool2d(x, 3, stride=2)], 1)


class MixedE(nn.Module):
    """FIDInceptionE_1 (max_pool=False: average pool without padding) or FIDInceptionE_2 (max_pool=True)."""

    def __init__(self, cin, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv(cin, 320, 1)
        self.branch3x3_1 = BasicConv(cin, 384, 1)
        self.branch3x3_2a = BasicConv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch3x3_1(x)
        b = torch.cat([self.branch3x3_2a(b), self.branch3x3_2b(b)], 1)
        c = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        c = torch.cat([self.branch3x3dbl_3a(c), self.branch3x3dbl_3b(c)], 1)
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else avg_pool_tf(x)
        d = self.branch_pool(pooled)
        return torch.cat([a, b, c, d], 1)


class FidInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv(80, 192, 3)
        self.Mixed_5b = MixedA(192, 32)
        self.Mixed_5c = MixedA(256, 64)
        self.Mixed_5d = MixedA(288, 64)
        self.Mixed_6a = MixedB(288)
        self.Mixed_6b = MixedC(768, 128)
        self.Mixed_6c = MixedC(768, 160)
        self.Mixed_6d = MixedC(768, 160)
        self.Mixed_6e = MixedC(768, 192)
        self.Mixed_7a = MixedD(768)
        self.Mixed_7b = MixedE(1280, max_pool=False)
        self.Mixed_7c = MixedE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)

    def pool3(self, images):
        """pytorch-fid's InceptionV3([3]) forward: resize, normalize_input, blocks 0-3, adaptive average pool."""
        x = F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, "Mixed_" + name)(x)
        return F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)


def random_weights(net, gen):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            # torchvision truncates at +-2 absolute, i.e. 20 standard deviations: a plain normal draw is the same
            nn.init.normal_(m.weight, mean=0.0, std=0.1)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data.copy_(0.2 + 0.4 * torch.rand(m.num_features, generator=gen))
            m.bias.data.copy_(0.4 * torch.rand(m.num_features, generator=gen))
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
    net.train()
    with torch.no_grad():
        net.pool3(torch.rand(2, 3, 40, 40, generator=gen))
    net.eval()


def main(out_dir, check_float64=False):
    torch.manual_seed(20151205)
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(7)
    net = FidInception()
    random_weights(net, gen)
    os.makedirs(out_dir, exist_ok=True)
    torch.save(net.state_dict(), os.path.join(out_dir, "fid_inception.pth"))

    ref = {
        "images": torch.rand(4, 3, 32, 32, generator=gen),
        "odd_images": torch.rand(1, 3, 27, 41, generator=gen),
        "full_images": torch.rand(1, 3, 299, 299, generator=gen),
        "gray_images": torch.rand(1, 1, 30, 30, generator=gen),
        "pixels": torch.randint(0, 256, (1, 3, 32, 32), generator=gen, dtype=torch.uint8),
    }
    with torch.no_grad():
        pool3 = net.pool3
        ref["features"] = pool3(ref["images"])
        ref["odd_features"] = pool3(ref["odd_images"])
        ref["full_features"] = pool3(ref["full_images"])
        ref["gray_features"] = pool3(ref["gray_images"].repeat(1, 3, 1, 1))  # as PIL's convert("RGB")
        ref["pixel_features"] = pool3(ref["pixels"].float().div(255))  # as torchvision's ToTensor

    here = os.path.dirname(os.path.abspath(__file__))
    converter_path = os.path.join(here, "..", "..", "..", "..", "deploy", "convert_inception_weights.py")
    spec = importlib.util.spec_from_file_location("convert_inception_weights", converter_path)
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    converter.save_safetensors(ref, os.path.join(out_dir, "reference.safetensors"), {"torch": torch.__version__})
    if check_float64:
        with torch.no_grad():
            exact = net.double().pool3(ref["images"].double())
        error = (ref["features"].double() - exact).abs().max() / exact.abs().max()
        print("float32 vs float64 features: max |difference| / max |feature| = %.2e" % error.item())


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--check-float64"]
    if len(args) != 1:
        raise SystemExit("usage: fid_inception_reference.py [--check-float64] OUT_DIR")
    main(args[0], check_float64="--check-float64" in sys.argv[1:])
