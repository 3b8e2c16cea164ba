#!/usr/bin/python3
"""Regenerate the training fixtures (tests/fixtures/train/) from scratch with the
independent PyTorch reference in vp_reference.py.

Committed set:

    /usr/bin/python3 scripts/reference/make_fixtures.py --out tests/fixtures/train

New, unseen cases (different backbones, data, inits; same format):

    /usr/bin/python3 scripts/reference/make_fixtures.py --out /tmp/unseen --seed 7 \
        --image 24 --patch 6 --depth 3 --heads 4 --width 24 --mlp 48 \
        --resnet-widths 8,12,16 --train-per-class 7,9,6 --val-per-class 3,3,3 \
        [--cases 'vit-vpt*' 'resnet-lorvp-*'] [--backbones vit]

Re-run stored cases from their case.json flags and compare (prints per-step loss / lr):

    /usr/bin/python3 scripts/reference/make_fixtures.py replay tests/fixtures/train/cases/vit-vpt-lp-sgd

Writes  backbones/{vit,resnet}.onnx (+ .json build spec),  data/{train,val}/<class>/NNN.png,
cases/<backbone>-<method>-<head>-<optim>/{case.json,init.safetensors,final.safetensors}
and checks.json (self-checks of the reference; the run fails if one fails).
See tests/fixtures/train/README.md for the format and the exact definitions.
"""
from __future__ import annotations

import argparse
import copy
import fnmatch
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vp_reference as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLASS_KINDS = ("circle", "square", "noise")


# ---------------------------------------------------------------------------
# Backbones
# ---------------------------------------------------------------------------


def build_vit(spec):
    torch.manual_seed(spec["seed"])
    g = torch.Generator().manual_seed(spec["seed"])
    m = VisionTransformer(image_size=spec["image"], patch_size=spec["patch"], num_layers=spec["depth"],
                          num_heads=spec["heads"], hidden_dim=spec["width"], mlp_dim=spec["mlp"],
                          num_classes=spec["source_classes"])
    with torch.no_grad():
        # torchvision zero-initialises the head (and class token, MHA biases):
        # make everything non-trivial so logits vary between images.
        m.heads.head.weight.copy_(torch.randn(m.heads.head.weight.shape, generator=g) * 0.2)
        m.heads.head.bias.copy_(torch.randn(m.heads.head.bias.shape, generator=g) * 0.2)
        m.class_token.copy_(torch.randn(m.class_token.shape, generator=g) * 0.5)
        m.encoder.pos_embedding.copy_(torch.randn(m.encoder.pos_embedding.shape, generator=g) * 0.2)
        for mod in m.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=g) + 0.5)
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
            if isinstance(mod, nn.MultiheadAttention):
                mod.in_proj_bias.copy_(torch.randn(mod.in_proj_bias.shape, generator=g) * 0.1)
                mod.out_proj.bias.copy_(torch.randn(mod.out_proj.bias.shape, generator=g) * 0.1)
        m.conv_proj.weight.mul_(2.0)
    center_head(m.eval(), m.heads.head, lambda x: ref.vit_features(m, x), spec, g)
    return m.eval()


def center_head(m, head, feats, spec, g):
    """Set the classifier bias so that the logits are centred over random
    uniform images (plus a little noise): otherwise a tiny random network
    predicts the same source class for every image, and label mapping
    degenerates into its tie-break rule."""
    with torch.no_grad():
        x = (torch.rand(64, 3, spec["image"], spec["image"], generator=g) - 0.5) / 0.25
        mf = feats(x).mean(0)
        head.bias.copy_(-(head.weight @ mf) + torch.randn(head.bias.shape, generator=g) * 0.1)


def build_resnet(spec):
    torch.manual_seed(spec["seed"])
    g = torch.Generator().manual_seed(spec["seed"])
    m = ref.TinyResNet(widths=tuple(spec["widths"]), num_classes=spec["source_classes"], image_size=spec["image"])
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
    # BatchNorm: running statistics accumulated on random inputs, then
    # perturbed, and random affine parameters, so eval-mode BN is neither an
    # identity nor an exact normalisation.
    bns = [mod for mod in m.modules() if isinstance(mod, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(torch.rand(bn.weight.shape, generator=g) + 0.5)
            bn.bias.copy_(torch.randn(bn.bias.shape, generator=g) * 0.2)
            bn.reset_running_stats()
            bn.momentum = None
        m.train()
        for _ in range(4):
            m(torch.randn(8, 3, spec["image"], spec["image"], generator=g))
        for bn in bns:
            sd = bn.running_var.sqrt()
            bn.running_mean.add_(torch.randn(bn.running_mean.shape, generator=g) * 0.2 * sd)
            bn.running_var.mul_(torch.rand(bn.running_var.shape, generator=g) * 0.8 + 0.6)
            bn.momentum = 0.1
            bn.num_batches_tracked.zero_()
        m.fc.weight.copy_(torch.randn(m.fc.weight.shape, generator=g) * (1.5 / math.sqrt(m.fc.in_features)))
    center_head(m.eval(), m.fc, m.forward_features, spec, g)
    return m.eval()


def export_onnx(model, spec, path):
    """opset 17, input 'input' (N,3,L,L), output 'logits' (N,S), dynamic batch.
    Parameters still require grad during export so nn.MultiheadAttention does
    not take its fused fast path (which the exporter cannot write)."""
    x = torch.rand(2, 3, spec["image"], spec["image"])
    for p in model.parameters():
        p.requires_grad_(True)
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["logits"], opset_version=17,
                          do_constant_folding=True,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    for p in model.parameters():
        p.requires_grad_(False)
    import onnx
    om = onnx.load(path)
    onnx.checker.check_model(om, full_check=True)
    return sorted({n.op_type for n in om.graph.node})


# ---------------------------------------------------------------------------
# Data: deterministic synthetic 16x16 RGB PNGs drawn with numpy
# ---------------------------------------------------------------------------


def draw(kind, rng, L):
    yy, xx = np.mgrid[0:L, 0:L].astype(np.float64) + 0.5
    bg = rng.uniform(0.0, 0.5, size=3)
    img = np.ones((L, L, 3)) * bg + rng.normal(0, 0.04, size=(L, L, 3))
    fg = rng.uniform(0.5, 1.0, size=3)
    if kind == "circle":
        cy, cx = rng.uniform(0.35 * L, 0.65 * L, size=2)
        r = rng.uniform(0.2 * L, 0.33 * L)
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        img[mask] = fg + rng.normal(0, 0.04, size=(int(mask.sum()), 3))
    elif kind == "square":
        s = int(rng.integers(L // 3, L // 2 + 1))
        y0, x0 = rng.integers(0, L - s + 1, size=2)
        img[y0:y0 + s, x0:x0 + s] = fg + rng.normal(0, 0.04, size=(s, s, 3))
    elif kind == "noise":
        img = rng.uniform(0, 1, size=(L, L, 3))
    else:
        raise ValueError(kind)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def make_data(out, seed, L, train_counts, val_counts):
    rng = np.random.default_rng(seed)
    names = [f"{chr(ord('a') + i)}_{k}" for i, k in enumerate(CLASS_KINDS)]
    for split, counts in (("train", train_counts), ("val", val_counts)):
        for name, kind, cnt in zip(names, CLASS_KINDS, counts):
            d = os.path.join(out, "data", split, name)
            os.makedirs(d, exist_ok=True)
            for i in range(cnt):
                Image.fromarray(draw(kind, rng, L), "RGB").save(os.path.join(d, f"{i:03d}.png"), optimize=True)
    return names


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

VIT_MEAN, VIT_STD = "0.5,0.5,0.5", "0.25,0.25,0.25"
RES_MEAN, RES_STD = "0.485,0.456,0.406", "0.229,0.224,0.225"

# Per (method, head): settings for (sgd, adamw). Each entry: dict of knobs.
# batch 8 on 24 train images = 3 full batches/epoch; batch 10 = 10,10,4;
# batch 16 = 16,8.
PLAN = {
    ("lorvp", "lp"): (dict(init="normal,normal", rank=2, bs=8, ep=3, lr="0.5", sched="cosine",
                           resnet=dict(lr="0.1")),
                      dict(init="uniform,uniform", rank=2, bs=10, ep=3, lr="0.02", sched="cosine", warm=2)),
    ("lorvp", "fm"): (dict(init="zero,normal", rank=2, bs=8, ep=3, lr="2", sched="cosine", resnet=dict(lr="0.5")),
                      dict(init="xavier,kaiming", rank=3, bs=16, ep=4, lr="0.01", sched="multistep")),
    ("pad", "lp"): (dict(pad=3, bs=8, ep=3, lr="0.2", sched="cosine", warm=3, resnet=dict(lr="0.05")),
                    dict(pad=3, bs=10, ep=3, lr="0.02", sched="constant")),
    ("none", "lp"): (dict(bs=8, ep=3, lr="0.2", sched="multistep", resnet=dict(lr="0.02")),
                     dict(bs=16, ep=4, lr="0.02", sched="cosine")),
    ("lorvp", "flm"): (dict(init="random,normal", rank=2, bs=8, ep=3, lr="0.5", sched="cosine"),
                       dict(init="normal,normal", rank=2, bs=10, ep=3, lr="0.02", sched="cosine")),
    ("lorvp", "ilm"): (dict(init="random,uniform", rank=2, bs=8, ep=3, lr="2", sched="constant", freq=1,
                            resnet=dict(lr="0.1")),
                       dict(init="uniform,normal", rank=2, bs=10, ep=3, lr="0.05", sched="cosine", freq=1,
                            resnet=dict(init="random,uniform"))),
    ("vpt", "lp"): (dict(plen=2, bs=8, ep=3, lr="0.2", sched="cosine"),
                    dict(plen=3, bs=10, ep=3, lr="0.02", sched="cosine", warm=2)),
    ("vpt", "fm"): (dict(plen=2, bs=10, ep=3, lr="0.1", sched="multistep"),
                    dict(plen=2, bs=8, ep=3, lr="0.02", sched="cosine")),
    ("vpt-deep", "lp"): (dict(plen=2, bs=8, ep=3, lr="0.2", sched="cosine"),
                         dict(plen=2, bs=16, ep=4, lr="0.02", sched="constant")),
    ("vpt-deep", "fm"): (dict(plen=3, bs=10, ep=3, lr="0.2", sched="cosine", warm=3),
                         dict(plen=2, bs=8, ep=3, lr="0.02", sched="cosine")),
}
COMMON = [("lorvp", "lp"), ("lorvp", "fm"), ("pad", "lp"), ("none", "lp"), ("lorvp", "flm"), ("lorvp", "ilm")]
VIT_ONLY = [("vpt", "lp"), ("vpt", "fm"), ("vpt-deep", "lp"), ("vpt-deep", "fm")]


def case_list():
    out = []
    for bb in ("vit", "resnet"):
        pairs = COMMON + (VIT_ONLY if bb == "vit" else [])
        for method, head in pairs:
            for oi, optim in enumerate(("sgd", "adamw")):
                k = dict(PLAN[(method, head)][oi])
                over = k.pop("resnet", {})
                if bb == "resnet":
                    # a different init combination (and lr where needed) on the other backbone
                    swap = {"normal,normal": "random,normal", "uniform,uniform": "kaiming,xavier",
                            "random,normal": "normal,normal"}
                    if "init" in k:
                        k["init"] = swap.get(k["init"], k["init"])
                    k.update(over)
                out.append((f"{bb}-{method}-{head}-{optim}", bb, method, head, optim, k))
    return out


def case_args(bb, method, head, optim, k):
    a = ["--method", method, "--head", head]
    if method == "lorvp":
        a += ["--rank", str(k["rank"]), "--init", k["init"]]
    if method == "pad":
        a += ["--pad-width", str(k["pad"])]
    if method in ("vpt", "vpt-deep"):
        a += ["--tokens", str(k["plen"])]
    if head == "ilm":
        a += ["--mapping-freq", str(k["freq"])]
    a += ["--epochs", str(k["ep"]), "--batch-size", str(k["bs"]), "--lr", k["lr"], "--optimizer", optim]
    if optim == "sgd":
        a += ["--momentum", "0.9", "--weight-decay", "1e-4"]
    else:
        a += ["--weight-decay", "0.01"]
    a += ["--scheduler", k["sched"], "--warmup", str(k.get("warm", 0))]
    mean, std = (VIT_MEAN, VIT_STD) if bb == "vit" else (RES_MEAN, RES_STD)
    a += ["--mean", mean, "--std", std, "--seed", "0", "--no-shuffle", "--no-augment",
          "--init-from", "init.safetensors"]
    return a


# ---------------------------------------------------------------------------
# Self-checks of the reference
# ---------------------------------------------------------------------------


def brute_force_mapping(D):
    """Greedy matching written the slow way: scan every remaining (s, t) in
    row-major order, keep the first strictly larger count."""
    D = [list(map(int, r)) for r in D]
    S, C = len(D), len(D[0])
    rows, cols = set(range(S)), set(range(C))
    mapping = [None] * C
    for _ in range(C):
        best = None
        for s in range(S):
            for t in range(C):
                if s in rows and t in cols and (best is None or D[s][t] > D[best[0]][best[1]]):
                    best = (s, t)
        mapping[best[1]] = best[0]
        rows.discard(best[0])
        cols.discard(best[1])
    return mapping


def check_optimizers():
    """torch.optim.SGD / AdamW against the update formulas of METHODS.md."""
    g = torch.Generator().manual_seed(5)
    p0 = torch.randn(7, generator=g, dtype=torch.float64)
    grads = [torch.randn(7, generator=g, dtype=torch.float64) for _ in range(3)]
    lrs = [0.3, 0.2, 0.1]
    mu, lam = 0.9, 1e-2
    # SGD
    p = p0.clone().requires_grad_(True)
    opt = torch.optim.SGD([p], lr=1.0, momentum=mu, weight_decay=lam)
    q, buf = p0.clone(), None
    for gr, lr in zip(grads, lrs):
        for grp in opt.param_groups:
            grp["lr"] = lr
        p.grad = gr.clone()
        opt.step()
        d = gr + lam * q
        buf = d if buf is None else mu * buf + d
        q = q - lr * buf
    sgd = float((p.detach() - q).abs().max())
    # AdamW
    p = p0.clone().requires_grad_(True)
    opt = torch.optim.AdamW([p], lr=1.0, betas=(0.9, 0.999), eps=1e-8, weight_decay=lam)
    q, m, v = p0.clone(), torch.zeros(7, dtype=torch.float64), torch.zeros(7, dtype=torch.float64)
    for i, (gr, lr) in enumerate(zip(grads, lrs), start=1):
        for grp in opt.param_groups:
            grp["lr"] = lr
        p.grad = gr.clone()
        opt.step()
        q = q * (1 - lr * lam)
        m = 0.9 * m + 0.1 * gr
        v = 0.999 * v + 0.001 * gr * gr
        mh, vh = m / (1 - 0.9 ** i), v / (1 - 0.999 ** i)
        q = q - lr * mh / (vh.sqrt() + 1e-8)
    adamw = float((p.detach() - q).abs().max())
    return {"sgd_vs_formula": sgd, "adamw_vs_formula": adamw}


def run_checks(backbones, data, cases_out, out):
    checks = {}
    tx, ty, vx, vy = data
    x = torch.cat([tx, vx])
    for name, (bb, spec) in backbones.items():
        b64 = bb.to(torch.float64)
        c = {}
        with torch.no_grad():
            plain = b64.module(x)  # the real torchvision / torch forward
            mine = b64.classify(b64.features(x))
            c["reference_forward_vs_module"] = float((plain - mine).abs().max())
            cfg = ref.Config(method="lorvp", head="fm", rank=2, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3),
                             num_classes=3)
            L = spec["image"]
            zB = torch.zeros(3, L, 2, dtype=torch.float64)
            A = torch.randn(3, 2, L, dtype=torch.float64)
            _, src = ref.source_forward(cfg, b64, {"prompt.B": zB, "prompt.A": A}, x)
            _, src0 = ref.source_forward(ref.Config(method="none", head="fm", mean=cfg.mean, std=cfg.std),
                                         b64, {}, x)
            c["lorvp_B0_equals_unprompted_exactly"] = bool(torch.equal(src, src0))
            if b64.kind == "vit":
                D = b64.feature_dim
                e0 = torch.zeros(0, D, dtype=torch.float64)
                f1 = b64.features(x, e0, None)
                f2 = b64.features(x, e0, torch.zeros(b64.depth - 1, 0, D, dtype=torch.float64))
                c["vpt_p0_equals_plain"] = float(max((f1 - b64.features(x)).abs().max(),
                                                     (f2 - b64.features(x)).abs().max()))
                # deep prompts: replacing block i's prompt must change only what follows block i
                tok = torch.randn(2, D, dtype=torch.float64)
                deep = torch.randn(b64.depth - 1, 2, D, dtype=torch.float64)
                fa = b64.features(x, tok, deep)
                fb = b64.features(x, tok, None)
                c["vpt_deep_differs_from_shallow"] = bool((fa - fb).abs().max() > 1e-6)
                # the same VPT forward through torchvision's own EncoderBlock.forward
                vit = b64.module
                h = torch.cat([vit.class_token.expand(len(x), -1, -1), vit._process_input(x)], dim=1)
                h = h + vit.encoder.pos_embedding
                n = len(x)
                h = torch.cat([h[:, :1], tok.expand(n, -1, -1), h[:, 1:]], dim=1)
                for i, blk in enumerate(vit.encoder.layers):
                    if i >= 1:
                        h = torch.cat([h[:, :1], deep[i - 1].expand(n, -1, -1), h[:, 3:]], dim=1)
                    h = blk(h)
                c["vpt_deep_vs_torchvision_blocks"] = float((vit.encoder.ln(h)[:, 0] - fa).abs().max())
        # pad layout
        p = 3
        L = spec["image"]
        strips = {k: torch.randn(s, dtype=torch.float64) for k, s in ref.pad_shapes(L, p).items()}
        P = ref.pad_prompt(strips)
        ok = (torch.equal(P[:, :, :p, :], strips["prompt.pad_up"])
              and torch.equal(P[:, :, L - p:, :], strips["prompt.pad_down"])
              and torch.equal(P[:, :, p:L - p, :p], strips["prompt.pad_left"])
              and torch.equal(P[:, :, p:L - p, L - p:], strips["prompt.pad_right"])
              and bool((P[:, :, p:L - p, p:L - p] == 0).all())
              and sum(v.numel() for v in strips.values()) == 3 * (L * L - (L - 2 * p) ** 2))
        c["pad_layout"] = bool(ok)
        checks[name] = c
    # greedy mapping vs brute force on random matrices with many ties
    rng = np.random.default_rng(0)
    bad = 0
    for _ in range(300):
        S, C = int(rng.integers(3, 9)), int(rng.integers(1, 4))
        Dm = rng.integers(0, 3, size=(S, C))
        if list(ref.greedy_mapping(Dm)) != brute_force_mapping(Dm):
            bad += 1
    checks["greedy_mapping_vs_bruteforce_random"] = bad == 0
    checks["optimizers"] = check_optimizers()
    # schedules
    T = 10
    cos = [ref.lr_at(t, T, 1.0, "cosine") for t in range(T)]
    wu = [ref.lr_at(t, T, 1.0, "cosine", 4) for t in range(T)]
    ms = [ref.lr_at(t, T, 1.0, "multistep") for t in range(T)]
    checks["schedules"] = bool(
        cos[0] == 1.0 and abs(cos[5] - 0.5) < 1e-15 and cos[-1] > 0
        and wu[:4] == [0.25, 0.5, 0.75, 1.0] and wu[4] == 1.0 and abs(wu[7] - 0.5) < 1e-15
        and [round(v, 12) for v in ms] == [1.0] * 5 + [0.1] * 2 + [0.01] * 3)
    # safetensors round trip
    tmp = os.path.join(tempfile.mkdtemp(), "t.safetensors")
    arrs = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array([3, -1], dtype=np.int32)}
    ref.write_safetensors(tmp, arrs)
    back = ref.read_safetensors(tmp)
    with open(tmp, "rb") as f:
        hl = int.from_bytes(f.read(8), "little")
    checks["safetensors_roundtrip"] = bool(all(np.array_equal(arrs[k], back[k]) for k in arrs) and hl % 8 == 0)
    # per-case checks gathered while the cases ran
    checks["cases"] = cases_out
    return checks


def onnx_check(path, bb, x):
    """Logits of the ONNX file under onnxruntime-node vs the float32 torch module."""
    node = shutil.which("node")
    script = os.path.join(HERE, "check_onnx.mjs")
    if node is None or not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        return None
    with torch.no_grad():
        expect = bb.module(x.float()).numpy().astype(np.float32)
    d = tempfile.mkdtemp()
    x.float().numpy().astype(np.float32).tofile(os.path.join(d, "x.f32"))
    expect.tofile(os.path.join(d, "y.f32"))
    r = subprocess.run([node, script, os.path.abspath(path), os.path.join(d, "x.f32"),
                        ",".join(map(str, x.shape)), os.path.join(d, "y.f32")],
                       capture_output=True, text=True, cwd=REPO)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return json.loads(r.stdout)["max_abs"]


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def replay(case_dir):
    """Re-run one committed case from its case.json flags and init.safetensors,
    rebuilding the backbone from backbones/<b>.json, and compare with the stored
    numbers. Prints the per-step losses / lrs (handy when debugging a trainer)."""
    case_dir = os.path.abspath(case_dir)
    root = os.path.dirname(os.path.dirname(case_dir))
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    with open(os.path.join(root, "backbones", case["backbone"] + ".json")) as f:
        spec = json.load(f)
    model = build_vit(spec) if spec["arch"] == "vit" else build_resnet(spec)
    tmp = os.path.join(tempfile.mkdtemp(), "m.onnx")
    export_onnx(model, spec, tmp)
    with open(tmp, "rb") as f:
        same_onnx = hashlib.sha256(f.read()).hexdigest() == spec["onnx_sha256"]
    bb = ref.Backbone(model, spec["arch"])
    tx, ty, classes, _ = ref.load_image_folder(os.path.join(root, "data", "train"), spec["image"])
    vx, vy, _, _ = ref.load_image_folder(os.path.join(root, "data", "val"), spec["image"])
    cfg = ref.config_from_args(case["args"])
    cfg.num_classes = len(classes)
    init = ref.read_safetensors(os.path.join(case_dir, "init.safetensors"))
    r = ref.train(cfg, bb, tx, ty, vx, vy, init)
    final = ref.read_safetensors(os.path.join(case_dir, "final.safetensors"))
    for t, (l, lr, bs) in enumerate(zip(r["losses"], r["lrs"], r["batch_sizes"])):
        print(f"step {t}: batch {bs} lr {lr:.6g} loss {l:.8f} (stored {case['losses'][t]:.8f})")
    print("val_acc", r["val_acc"], "stored", case["val_acc"])
    dl = max(abs(a - b) for a, b in zip(r["losses"], case["losses"]))
    dt = max(float(np.abs(r["final"][k].astype(np.float64) - final[k]).max()) for k in final)
    ok = same_onnx and dl == 0 and dt == 0 and r["val_acc"] == case["val_acc"]
    print(f"onnx rebuilt identically: {same_onnx}; max loss diff {dl}; max tensor diff {dt}")
    return 0 if ok else 1


def ints(s):
    return [int(v) for v in s.split(",")]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "replay":
        return max(replay(d) for d in argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0, help="base seed: backbones, data and inits derive from it")
    ap.add_argument("--image", type=int, default=16)
    ap.add_argument("--patch", type=int, default=4)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--width", type=int, default=16, help="ViT hidden size")
    ap.add_argument("--mlp", type=int, default=32)
    ap.add_argument("--source-classes", type=int, default=10)
    ap.add_argument("--resnet-widths", default="8,16")
    ap.add_argument("--train-per-class", default="9,8,7")
    ap.add_argument("--val-per-class", default="4,4,4")
    ap.add_argument("--backbones", nargs="*", default=["vit", "resnet"])
    ap.add_argument("--cases", nargs="*", default=None, help="fnmatch patterns of case names")
    ap.add_argument("--min-margin", type=float, default=5e-4,
                    help="fail if a top-1 decision (label mapping / val accuracy) has a logit gap below this: "
                         "a float32 trainer could then decide differently (float32 vs float64 logits differ ~1e-6)")
    args = ap.parse_args(argv)

    out = args.out
    for sub in ("backbones", "data", "cases"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(os.path.join(out, "backbones"), exist_ok=True)

    # --- data
    make_data(out, args.seed + 11, args.image, ints(args.train_per_class), ints(args.val_per_class))
    tx, ty, classes, tfiles = ref.load_image_folder(os.path.join(out, "data", "train"), args.image)
    vx, vy, vclasses, _ = ref.load_image_folder(os.path.join(out, "data", "val"), args.image)
    assert classes == vclasses

    # --- backbones
    specs = {
        "vit": dict(arch="vit", seed=args.seed + 101, image=args.image, patch=args.patch, depth=args.depth,
                    heads=args.heads, width=args.width, mlp=args.mlp, source_classes=args.source_classes),
        "resnet": dict(arch="resnet", seed=args.seed + 202, image=args.image, widths=ints(args.resnet_widths),
                       source_classes=args.source_classes),
    }
    backbones = {}
    onnx_diffs = {}
    for name in args.backbones:
        spec = specs[name]
        model = build_vit(spec) if name == "vit" else build_resnet(spec)
        path = os.path.join(out, "backbones", f"{name}.onnx")
        ops = export_onnx(model, spec, path)
        bb = ref.Backbone(model, name)
        backbones[name] = (bb, spec)
        onnx_diffs[name] = onnx_check(path, bb, torch.cat([tx, vx]))
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        meta = dict(spec, onnx_sha256=sha, onnx_ops=ops, opset=17, input="input", output="logits",
                    onnx_vs_torch_f32_max_abs=onnx_diffs[name], torch=torch.__version__)
        with open(os.path.join(out, "backbones", f"{name}.json"), "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")
        print(f"backbone {name}: ops {ops}; onnxruntime vs torch {onnx_diffs[name]}", flush=True)

    # --- cases
    cases_out = {}
    failures = []
    for idx, (cname, bbn, method, head, optim, k) in enumerate(case_list()):
        if bbn not in backbones or (args.cases and not any(fnmatch.fnmatch(cname, p) for p in args.cases)):
            continue
        bb, spec = backbones[bbn]
        cargs = case_args(bbn, method, head, optim, k)
        cfg = ref.config_from_args(cargs)
        cfg.num_classes = len(classes)
        gen = torch.Generator().manual_seed(args.seed * 1000 + idx + 1)
        init = {kk: v.numpy() for kk, v in ref.init_params(cfg, bb, gen).items()}
        cdir = os.path.join(out, "cases", cname)
        os.makedirs(cdir, exist_ok=True)
        ref.write_safetensors(os.path.join(cdir, "init.safetensors"), init)
        init = ref.read_safetensors(os.path.join(cdir, "init.safetensors"))  # train from what was written
        r64 = ref.train(cfg, bb, tx, ty, vx, vy, init, torch.float64)
        r32 = ref.train(cfg, bb, tx, ty, vx, vy, init, torch.float32)
        ref.write_safetensors(os.path.join(cdir, "final.safetensors"), r64["final"])
        drift_loss = max(abs(a - b) for a, b in zip(r64["losses"], r32["losses"]))
        drift_final = max(float(np.abs(r64["final"][n].astype(np.float64) - r32["final"][n]).max())
                          for n in r64["final"] if n != "mapping")
        delta = {n: float(np.abs(r64["final"][n].astype(np.float64) - init[n]).max()) for n in init}
        same_decisions = (r64["val_acc"] == r32["val_acc"]
                          and [m["mapping"] for m in r64["mappings"]] == [m["mapping"] for m in r32["mappings"]])
        info = {
            "args": cargs,
            "losses": r64["losses"],
            "lrs": r64["lrs"],
            "val_acc": r64["val_acc"],
            "steps": r64["steps"],
            "epochs": cfg.epochs,
            "steps_per_epoch": r64["steps_per_epoch"],
            "batch_sizes": r64["batch_sizes"],
            "backbone": bbn,
            "method": method, "head": head, "optimizer": optim,
            "num_classes": cfg.num_classes, "classes": classes,
            "trainable": {n: list(v.shape) for n, v in sorted(init.items())},
            "max_abs_change": delta,
        }
        if head in ("flm", "ilm"):
            info["mappings"] = r64["mappings"]
            info["label_counts"] = r64["label_counts"]
        info["diagnostics"] = {
            "precision": "reference trained in float64; final tensors stored as float32",
            "f32_run_loss_max_abs_diff": drift_loss,
            "f32_run_final_max_abs_diff": drift_final,
            "f32_run_same_val_acc_and_mappings": same_decisions,
            "min_top1_margin_mapping": r64["min_top1_margin_mapping"],
            "min_top1_margin_val": r64["min_top1_margin_val"],
        }

        # per-case checks
        cf = []  # this case's failures
        cc = {"f32_drift_loss": drift_loss, "f32_drift_final": drift_final, "same_decisions": same_decisions}
        if head in ("flm", "ilm"):
            # the epoch-0 mapping recomputed independently: the real module
            # forward on normalize(x + B@A), counts by loops, brute-force greedy
            b64 = bb.to(torch.float64)
            B = torch.tensor(init["prompt.B"], dtype=torch.float64)
            A = torch.tensor(init["prompt.A"], dtype=torch.float64)
            with torch.no_grad():
                xin = (tx + torch.bmm(B, A) - torch.tensor(cfg.mean).view(1, 3, 1, 1)) / torch.tensor(
                    cfg.std).view(1, 3, 1, 1)
                src = b64.module(xin)
            Dm = [[0] * cfg.num_classes for _ in range(src.shape[1])]
            for i in range(len(tx)):
                Dm[int(torch.argmax(src[i]))][int(ty[i])] += 1
            bf = brute_force_mapping(Dm)
            cc["mapping_bruteforce_ok"] = bf == r64["mappings"][0]["mapping"] and Dm == r64["label_counts"][0]
            cc["mapping_changed_over_epochs"] = len({tuple(m["mapping"]) for m in r64["mappings"]}) > 1
            if not cc["mapping_bruteforce_ok"]:
                cf.append("mapping brute force mismatch")
        # mean CE over the whole training set with the initial / final tensors
        # (first / last mapping for flm / ilm)
        with torch.no_grad():
            b64 = bb.to(torch.float64)
            maps = r64["mappings"]
            fin = {kk: torch.tensor(v, dtype=torch.float64) for kk, v in r64["final"].items() if kk != "mapping"}
            l0 = float(F.cross_entropy(ref.target_logits(
                cfg, b64, {kk: torch.tensor(v, dtype=torch.float64) for kk, v in init.items()}, tx,
                np.array(maps[0]["mapping"]) if maps else None), ty))
            l1 = float(F.cross_entropy(ref.target_logits(
                cfg, b64, fin, tx, np.array(maps[-1]["mapping"]) if maps else None), ty))
        cc["full_train_loss_before_after"] = [l0, l1]
        info["diagnostics"]["full_train_loss_before_after"] = [l0, l1]
        if method == "none" and optim == "sgd" and not l1 < l0:
            cf.append("loss did not decrease")
        if drift_loss > 1e-5 or drift_final > 1e-5:
            cf.append(f"float32 run drifts from float64 by {drift_loss:.1e} / {drift_final:.1e}")
        margins = [m for m in (r64["min_top1_margin_mapping"], r64["min_top1_margin_val"]) if m is not None]
        if min(margins) < args.min_margin:
            cf.append(f"a top-1 decision margin {min(margins):.2e} < {args.min_margin}")
        if not same_decisions:
            cf.append("float32 run made different decisions")
        small = [n for n, dv in delta.items() if dv < 1e-3]
        if small:
            cf.append(f"tensors barely trained: {small}")
        info["diagnostics"]["robust"] = not cf
        info["diagnostics"]["problems"] = cf
        failures.extend(f"{cname}: {m}" for m in cf)
        cases_out[cname] = cc
        with open(os.path.join(cdir, "case.json"), "w") as f:
            json.dump(info, f, indent=1)
            f.write("\n")
        print(f"{cname:28s} steps {r64['steps']:2d} loss {r64['losses'][0]:.4f}->{r64['losses'][-1]:.4f} "
              f"val {r64['val_acc']} drift {drift_loss:.1e}/{drift_final:.1e} "
              f"margins {r64['min_top1_margin_mapping']} {r64['min_top1_margin_val']:.2e} "
              f"min change {min(delta.values()):.1e} full {l0:.3f}->{l1:.3f}"
              + (f" maps {[m['mapping'] for m in r64['mappings']]}" if r64["mappings"] else ""), flush=True)

    checks = run_checks(backbones, (tx, ty, vx, vy), cases_out, out)
    checks["onnxruntime_vs_torch_f32_max_abs"] = onnx_diffs
    for name, c in checks.items():
        if name in backbones:
            if c["reference_forward_vs_module"] > 1e-10:
                failures.append(f"{name}: reference forward differs from the module")
            if not c["lorvp_B0_equals_unprompted_exactly"] or not c["pad_layout"]:
                failures.append(f"{name}: lorvp B=0 / pad layout check failed")
            if name == "vit" and (c["vpt_p0_equals_plain"] > 1e-10 or not c["vpt_deep_differs_from_shallow"]
                                  or c["vpt_deep_vs_torchvision_blocks"] > 1e-10):
                failures.append("vit: vpt checks failed")
    if not checks["greedy_mapping_vs_bruteforce_random"] or not checks["schedules"] or not checks[
            "safetensors_roundtrip"]:
        failures.append("mapping / schedule / safetensors self-check failed")
    if max(checks["optimizers"].values()) > 1e-12:
        failures.append("optimizer formula check failed")
    for n, d in onnx_diffs.items():
        if d is not None and d > 1e-4:
            failures.append(f"{n}: onnxruntime logits differ from torch by {d}")
    checks["failures"] = failures
    with open(os.path.join(out, "checks.json"), "w") as f:
        json.dump(checks, f, indent=1)
        f.write("\n")
    print(json.dumps({k: v for k, v in checks.items() if k != "cases"}, indent=1))
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
