#!/usr/bin/python3
"""VPT fixtures (tests/fixtures/vpt/<name>/): tiny random-weight ViTs exported by torch.onnx, plus the logits of
a plain-torch VPT forward (docs/METHODS.md, section VPT) and torch.autograd gradients w.r.t. the prompt tokens.

    /usr/bin/python3 scripts/make_vpt_fixtures.py [--out tests/fixtures/vpt] [--only NAME ...]

Per fixture: model.onnx (input "input", output "logits"), x.npy, logits.npy (no prompt) and, for the main
prompt length p=4, tokens.npy [p, D], deep.npy [depth-1, p, D], logits_shallow.npy (h0' = [cls, P, patches]),
logits_deep.npy (additionally h = [h[:, :1], P_i, h[:, 1+p:]] before every block i >= 1), cotangent.npy and
grad_tokens.npy = d<logits_shallow, c>/dP, grad_tokens_deep.npy / grad_deep.npy = d<logits_deep, c>/d(P, deep);
the same without gradients for p=1 and p=7 with a _p1 / _p7 suffix. Everything is computed in float64 (the
float32 weights cast to double) and stored as float32. "dyn" fixtures are exported with a symbolic batch axis
at batch 2 but x.npy holds 3 samples. Requires Debian's torch 1.13 / torchvision 0.14, onnx, numpy.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
from torchvision.models.vision_transformer import VisionTransformer

P_MAIN, P_EXTRA = 4, (1, 7)


# the HF-style ViT is the one the gradient fixtures use (transformers is not installed here)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_fixtures import HFViTForImageClassification  # noqa: E402


def embed(m, x):
    """Token sequence right after the position embedding: [N, 1+T, D]."""
    if isinstance(m, VisionTransformer):
        h = m._process_input(x)
        h = torch.cat([m.class_token.expand(x.shape[0], -1, -1), h], dim=1)
        return h + m.encoder.pos_embedding
    return m.embeddings(x)


def vpt_forward(m, x, tokens=None, deep=None):
    h = embed(m, x)
    n = h.shape[0]
    blocks = m.encoder.layers if isinstance(m, VisionTransformer) else m.layer
    if tokens is not None:
        p = tokens.shape[0]
        h = torch.cat([h[:, :1], tokens.expand(n, -1, -1), h[:, 1:]], dim=1)
    for i, block in enumerate(blocks):
        if i >= 1 and deep is not None:
            h = torch.cat([h[:, :1], deep[i - 1].expand(n, -1, -1), h[:, 1 + p:]], dim=1)
        h = block(h)
    if isinstance(m, VisionTransformer):
        return m.heads(m.encoder.ln(h)[:, 0])
    return m.classifier(m.layernorm(h)[:, 0, :])


# ---- fixtures ----
FIXTURES = {
    "tv_o13": dict(arch="vit", opset=13, seed=2301),
    "tv_o17": dict(arch="vit", opset=17, seed=2701),
    "tv_dyn_o17": dict(arch="vit", opset=17, seed=2702, dynamic=True),
    "hf_o13": dict(arch="hfvit", opset=13, seed=2303),
    "hf_o17": dict(arch="hfvit", opset=17, seed=2703),
    "hf_dyn_o13": dict(arch="hfvit", opset=13, seed=2304, dynamic=True),
}
IMAGE, PATCH, HIDDEN, HEADS, DEPTH, MLP, CLASSES, BATCH = 16, 4, 16, 2, 3, 32, 10, 2


def build(arch, gen):
    if arch == "vit":
        m = VisionTransformer(image_size=IMAGE, patch_size=PATCH, num_layers=DEPTH, num_heads=HEADS,
                              hidden_dim=HIDDEN, mlp_dim=MLP, num_classes=CLASSES)
    else:
        m = HFViTForImageClassification(IMAGE, PATCH, HIDDEN, HEADS, DEPTH, MLP, CLASSES)
    with torch.no_grad():  # nothing trivially zero, LayerNorm not an identity
        for mod in m.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) + 0.5)
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.1)
        for name, p in m.named_parameters():
            if bool((p == 0).all()) or (name.endswith("bias") and float(p.abs().max()) < 1e-4):
                p.copy_(torch.randn(p.shape, generator=gen) * (0.3 if p.dim() > 1 else 0.1))
        if isinstance(m, VisionTransformer):
            m.class_token.copy_(torch.randn(m.class_token.shape, generator=gen) * 0.5)
            m.encoder.pos_embedding.copy_(torch.randn(m.encoder.pos_embedding.shape, generator=gen) * 0.5)
    return m.eval()


def make(out_dir, name, arch, opset, seed, dynamic=False):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    m = build(arch, gen)
    x_export = torch.randn((BATCH, 3, IMAGE, IMAGE), generator=gen)
    x = torch.randn((BATCH + 1, 3, IMAGE, IMAGE), generator=gen) if dynamic else x_export
    kw = dict(input_names=["input"], output_names=["logits"], opset_version=opset, do_constant_folding=True)
    if dynamic:
        kw["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    path = os.path.join(out_dir, "model.onnx")
    # parameters require grad and grad mode is on: nn.MultiheadAttention then takes its exportable slow path
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m, (x_export,), path, **kw)
    for p in m.parameters():
        p.requires_grad_(False)
    m64 = copy.deepcopy(m).double()
    x64 = x.double()
    v = math.sqrt(6.0 / (3 * PATCH * PATCH + HIDDEN))  # VPT init bound
    save = lambda f, t: np.save(os.path.join(out_dir, f), np.ascontiguousarray(t.detach().numpy().astype(np.float32)))
    save("x.npy", x)
    with torch.no_grad():
        plain = vpt_forward(m64, x64)
        assert float((plain - m64(x64)).abs().max()) < 1e-12, "vpt_forward without tokens != model"
    save("logits.npy", plain)
    meta = dict(name=name, arch=arch, opset=opset, export_batch=BATCH, batch=int(x.shape[0]), dynamic_batch=dynamic,
                image=IMAGE, patch=PATCH, hidden=HIDDEN, heads=HEADS, depth=DEPTH, mlp=MLP, init_bound=v, p={})
    cot = torch.randn((x.shape[0], CLASSES), generator=gen).double()
    save("cotangent.npy", cot)
    for p in (P_MAIN, *P_EXTRA):
        sfx = "" if p == P_MAIN else f"_p{p}"
        tok = ((torch.rand((p, HIDDEN), generator=gen) * 2 - 1) * v).float().double().requires_grad_(True)
        deep = ((torch.rand((DEPTH - 1, p, HIDDEN), generator=gen) * 2 - 1) * v).float().double().requires_grad_(True)
        with torch.enable_grad():
            ls = vpt_forward(m64, x64, tok)
            ld = vpt_forward(m64, x64, tok, deep)
            if p == P_MAIN:
                (gt,) = torch.autograd.grad((ls * cot).sum(), tok)
                gtd, gd = torch.autograd.grad((ld * cot).sum(), (tok, deep))
                save("grad_tokens.npy", gt); save("grad_tokens_deep.npy", gtd); save("grad_deep.npy", gd)
        for f, t in (("tokens", tok), ("deep", deep), ("logits_shallow", ls), ("logits_deep", ld)):
            save(f"{f}{sfx}.npy", t)
        meta["p"][p] = dict(max_abs_change_shallow=float((ls - plain).abs().max()),
                            max_abs_change_deep=float((ld - ls).abs().max()))
    import onnx
    onnx.checker.check_model(onnx.load(path), full_check=True)
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"{name:<12} x={tuple(x.shape)} onnx={os.path.getsize(path) / 1024:.1f}KiB "
          f"prompt effect {meta['p'][P_MAIN]}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/vpt")
    ap.add_argument("--only", nargs="+", choices=list(FIXTURES))
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    for n in a.only or FIXTURES:
        make(os.path.join(a.out, n), n, **FIXTURES[n])
    return 0


if __name__ == "__main__":
    sys.exit(main())
