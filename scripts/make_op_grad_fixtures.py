#!/usr/bin/python3
"""Per-op gradient fixtures: tiny random-weight torch modules around the ops that newer vision backbones use
(ConvNeXt V2's GRN -> ReduceL2, PReLU, Mish, InstanceNorm2d, GroupNorm, PixelShuffle/PixelUnshuffle, sin/cos,
relative-position einsum, norm(p=1)/prod), exported with torch.onnx.export at opset 17, plus the input VJP from
torch.autograd. src/autodiff/ops-torch.test.ts checks our compiled input gradients against them.

    /usr/bin/python3 scripts/make_op_grad_fixtures.py                  # all, into tests/fixtures/grad-ops
    /usr/bin/python3 scripts/make_op_grad_fixtures.py --only grn einsum --out /tmp/fx

Each fixture directory: model.onnx (input "input" [2, 3, 16, 16], output "output"), x.npy, cotangent.npy,
grad.npy (float32, C order) and meta.json. grad = torch.autograd.grad(model(x), x, cotangent) on a float64 copy
of the same weights, stored as float32; meta.json lists the op types the fixture is there to cover (`covers`,
asserted present in the exported graph) and the float32-vs-float64 self-checks. Conventions as in
scripts/export_fixtures.py (see scripts/README-fixtures.md). Requires Debian's torch 1.13, onnx 1.12, numpy.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17
SHAPE = (2, 3, 16, 16)


class GRN(nn.Module):
    """ConvNeXt V2 Global Response Normalization on NHWC activations (as in the official implementation)."""

    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1, 1, 1, dim))
        self.beta = nn.Parameter(torch.zeros(1, 1, 1, dim))

    def forward(self, x):
        gx = torch.norm(x, p=2, dim=(1, 2), keepdim=True)
        nx = gx / (gx.mean(dim=-1, keepdim=True) + 1e-6)
        return self.gamma * (x * nx) + self.beta + x


class ConvNeXtV2Block(nn.Module):
    """Stem conv, then one ConvNeXt V2 block: depthwise 7x7, LayerNorm, Linear, GELU, GRN, Linear, residual."""

    def __init__(self, dim=8):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, 2, stride=2)
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.grn = GRN(4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        x = self.stem(x)
        h = self.dwconv(x).permute(0, 2, 3, 1)
        h = self.pwconv2(self.grn(F.gelu(self.pwconv1(self.norm(h)))))
        return x + h.permute(0, 3, 1, 2)


class Sandwich(nn.Module):
    """Conv 3x3 -> `mid` -> Conv 1x1, so the input gradient passes through the op under test."""

    def __init__(self, mid, c=8, out=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, c, 3, padding=1)
        self.mid = mid
        self.conv2 = nn.Conv2d(c, out, 1)

    def forward(self, x):
        return self.conv2(self.mid(self.conv1(x)))


class Fn(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


class PixelShuffles(nn.Module):
    """PixelShuffle (DepthToSpace CRD) up, a conv, PixelUnshuffle (Reshape/Transpose/Reshape) back down."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.up = nn.PixelShuffle(2)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.down = nn.PixelUnshuffle(2)
        self.conv3 = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return self.conv3(self.down(self.conv2(self.up(self.conv1(x)))))


class RelPos(nn.Module):
    """Decomposed relative-position terms (SAM / MViTv2 add_decomposed_rel_pos) on NHWC queries."""

    def __init__(self, c=8, hw=8):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 2, stride=2)
        self.rel_h = nn.Parameter(torch.randn(hw, c, c) * 0.3)
        self.rel_w = nn.Parameter(torch.randn(hw, c, c) * 0.3)

    def forward(self, x):
        q = self.stem(x).permute(0, 2, 3, 1)
        a = torch.einsum("bhwc,hkc->bhwk", q, self.rel_h) + torch.einsum("bhwc,wkc->bhwk", q, self.rel_w)
        return (q + 0.5 * a * q).permute(0, 3, 1, 2)


def norms(h):
    l1 = torch.norm(h, p=1, dim=1, keepdim=True)
    p = torch.prod(1 + 0.5 * torch.tanh(h), dim=1, keepdim=True)  # factors in [0.5, 1.5]: no zero
    return h / (1 + l1) + p


class Pyramid(nn.Module):
    """A feature-pyramid / U-Net decoder in miniature: a stride-2 stem, F.interpolate back up three ways (nearest
    x2, bilinear to a size, bicubic by a scale) and a conv over their sum: Resize on activations."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.conv = nn.Conv2d(8, 4, 3, padding=1)

    def forward(self, x):
        h = torch.tanh(self.stem(x))  # [2, 8, 8, 8]
        up = F.interpolate(h, scale_factor=2.0, mode="nearest")
        lin = F.interpolate(h, size=(16, 16), mode="bilinear", align_corners=False)
        cub = F.interpolate(h, scale_factor=2.0, mode="bicubic", align_corners=True)
        return self.conv(up + 0.5 * lin + 0.25 * cub)


# name -> (module factory, op types the fixture must contain, notes)
FIXTURES = {
    "grn": (ConvNeXtV2Block, ["ReduceL2", "LayerNormalization"],
            "ConvNeXt V2 block (stem 2x2 s2, dw 7x7, LayerNorm, Linear, GELU, GRN, Linear, residual), dim 8"),
    "prelu": (lambda: Sandwich(nn.PReLU(8)), ["PRelu"], "Conv 3x3 -> nn.PReLU(8) (random slopes) -> Conv 1x1"),
    "mish": (lambda: Sandwich(nn.Mish()), ["Softplus", "Tanh"],
             "Conv 3x3 -> nn.Mish -> Conv 1x1; torch 1.13 exports Mish at opset 17 as Softplus/Tanh/Mul"),
    "instancenorm": (lambda: Sandwich(nn.Sequential(nn.InstanceNorm2d(8, affine=True), nn.Tanh())),
                     ["InstanceNormalization"], "Conv 3x3 -> InstanceNorm2d(8, affine) -> Tanh -> Conv 1x1"),
    "groupnorm": (lambda: Sandwich(nn.Sequential(nn.GroupNorm(4, 8), nn.SiLU())), ["InstanceNormalization"],
                  "Conv 3x3 -> GroupNorm(4, 8) -> SiLU -> Conv 1x1; exported as Reshape/InstanceNormalization/Reshape/Mul/Add"),
    "pixelshuffle": (PixelShuffles, ["DepthToSpace"],
                     "Conv -> PixelShuffle(2) (DepthToSpace CRD) -> Conv -> PixelUnshuffle(2) (Reshape/Transpose) -> Conv"),
    "sincos": (lambda: Sandwich(Fn(lambda h: torch.sin(h) * torch.cos(0.5 * h) + torch.cos(h))), ["Sin", "Cos"],
               "Conv 3x3 -> sin(h)·cos(h/2) + cos(h) -> Conv 1x1"),
    "einsum": (RelPos, ["Einsum"], "stem 2x2 s2 -> NHWC q; q + 0.5·q·(einsum('bhwc,hkc->bhwk') + einsum('bhwc,wkc->bhwk'))"),
    "norms": (lambda: Sandwich(Fn(norms)), ["ReduceL1", "ReduceProd"],
              "Conv 3x3 -> h/(1 + norm(h, p=1, dim=1)) + prod(1 + tanh(h)/2, dim=1) -> Conv 1x1"),
    "resize": (Pyramid, ["Resize"],
               "stem 3x3 s2 -> tanh -> interpolate nearest x2 + bilinear to 16x16 + bicubic x2 (align_corners) -> Conv"),
}


def randomize(model, gen):
    """Every parameter non-trivial: zero-initialised GRN gamma/beta, unit norm affines, PReLU's 0.25 slopes."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if isinstance(dict(model.named_modules()).get(name.rsplit(".", 1)[0]), nn.PReLU):
                p.copy_(torch.rand(p.shape, generator=gen) - 0.5)
            elif name.endswith(("gamma", "beta", "bias")) or p.dim() == 1:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5 + (1.0 if name.endswith("weight") else 0.0))


def make_fixture(out_dir, name, seed):
    factory, covers, notes = FIXTURES[name]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = factory()
    randomize(model, gen)
    model.eval()
    x = torch.randn(SHAPE, generator=gen)
    path = os.path.join(out_dir, "model.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["output"], opset_version=OPSET,
                          do_constant_folding=True)
    for p in model.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        out32 = model(x)
    cot = torch.randn(out32.shape, generator=gen)
    m64, x64 = copy.deepcopy(model).double(), x.double().requires_grad_(True)
    (g64,) = torch.autograd.grad(m64(x64), x64, cot.double())
    x32 = x.clone().requires_grad_(True)
    (g32,) = torch.autograd.grad(model(x32), x32, cot)

    for fname, t in (("x.npy", x), ("cotangent.npy", cot), ("grad.npy", g64)):
        np.save(os.path.join(out_dir, fname), np.ascontiguousarray(t.detach().numpy().astype(np.float32)))

    import onnx

    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = sorted({n.op_type for n in m.graph.node})
    missing = [op for op in covers if op not in ops]
    if missing:
        raise SystemExit(f"{name}: the export lacks {missing} (has {ops})")
    meta = {
        "name": name, "opset": OPSET, "seed": seed, "notes": notes, "torch": torch.__version__, "onnx": onnx.__version__,
        "input_shape": list(x.shape), "output_shape": list(out32.shape), "covers": covers, "onnx_op_types": ops,
        "grad": "torch.autograd.grad(model(x), x, cotangent) in float64 (weights cast to double), stored as float32",
        "max_abs_grad": float(g64.abs().max()),
        "check_grad_f32_vs_f64": float((g32.double() - g64).abs().max()),
    }
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    kib = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir)) / 1024
    rel = meta["check_grad_f32_vs_f64"] / max(meta["max_abs_grad"], 1e-30)
    print(f"{name:<13} out={tuple(out32.shape)} max|grad|={meta['max_abs_grad']:.3g} f32-vs-f64 {rel:.1e} "
          f"{kib:.0f} KiB  ops {', '.join(ops)}", flush=True)
    if kib >= 200:
        raise SystemExit(f"{name}: {kib:.0f} KiB, keep fixtures under 200 KiB")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="tests/fixtures/grad-ops")
    p.add_argument("--only", nargs="+", choices=list(FIXTURES), metavar="NAME")
    a = p.parse_args(argv)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    for name in a.only or FIXTURES:
        make_fixture(os.path.join(a.out, name), name, seed=2100 + list(FIXTURES).index(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
