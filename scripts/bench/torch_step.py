#!/usr/bin/python3
"""PyTorch side of `npm run bench`: time one training step of one configuration
(one process per configuration, so peak memory is per configuration).

    /usr/bin/python3 scripts/bench/torch_step.py --model bench/models/resnet18.pt --arch resnet18 \
        --method lorvp --batch 16 --threads 2 --warmup 2 --steps 5 \
        [--classes 10 --rank 4 --tokens 5 --pad-width 30 --lr 0.02 --seed 0]
        [--device cuda [--compile]]

Without --model the backbone keeps torchvision's random initialisation after
torch.manual_seed(0) (the GPU benchmark carries no .pt: a step's time does not
depend on the weights' values). --device cuda times the step on the GPU
(torch.cuda.synchronize() before each clock read; peak memory from
torch.cuda.max_memory_allocated); --compile wraps the loss in torch.compile.

The step is the one docs/METHODS.md describes and our engine runs, written with
scripts/reference/vp_reference.py (Backbone, init_params, source_forward,
make_optimizer): a fixed batch of random images in [0,1] and random labels;
prompt (lorvp: normalize(x + B@A), B zero, A ~ N(0, 0.01^2); pad:
normalize(x) + frame; vpt / vpt-deep: tokens after CLS); ImageNet mean/std; the
frozen backbone in eval mode (no backbone parameter requires grad); linear head
on the penultimate features (resnet: 512-d pooled, ViT: 768-d final-norm CLS);
mean cross-entropy; backward; SGD (momentum 0.9, weight decay 1e-4) on prompt
and head only; zero_grad(set_to_none=True). Method none runs the backbone under
torch.no_grad() (only the head trains). The weights are the .pt state_dict that
export_backbones.py saved next to the .onnx the engine loads.

Prints one line of JSON on stdout (fields in scripts/bench/README.md).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import time
import types

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import vp_reference as R  # noqa: E402

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE = 224


def _resnet_features(m, x):
    """torchvision ResNet forward up to the input of fc (the pooled features)."""
    x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
    x = m.layer4(m.layer3(m.layer2(m.layer1(x))))
    return torch.flatten(m.avgpool(x), 1)


def load_backbone(arch: str, weights: str) -> R.Backbone:
    """torchvision architecture with the exported weights, frozen, eval mode,
    with the hooks vp_reference.Backbone expects (image_size; forward_features
    for the ResNet)."""
    torch.manual_seed(0)
    m = getattr(torchvision.models, arch)(weights=None, num_classes=1000)
    if weights:
        m.load_state_dict(torch.load(weights, map_location="cpu"))
    if arch.startswith("resnet"):
        m.image_size = IMAGE
        m.forward_features = types.MethodType(_resnet_features, m)
        return R.Backbone(m, "resnet")
    return R.Backbone(m, "vit")


def loaded_blas() -> str:
    """Path of the BLAS library this process mapped. Debian's torch calls the
    system libblas.so.3 for Linear / matmul (convolutions go through oneDNN),
    so its matmul speed depends on that alternative: the netlib reference BLAS
    is single-threaded and unoptimised, OpenBLAS is not."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    return ",".join(sorted(os.path.realpath(p) for p in paths)) or "none"


def step_loss(cfg: R.Config, bb: R.Backbone, params, x, y):
    """Mean CE of the linear head on the prompted features; for method none
    the frozen backbone runs without building a graph."""
    frozen = torch.no_grad() if cfg.method == "none" else contextlib.nullcontext()
    with frozen:
        feats, _ = R.source_forward(cfg, bb, params, x)
    return F.cross_entropy(F.linear(feats, params["head.weight"], params["head.bias"]), y)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="time one PyTorch training step (see module docstring)")
    ap.add_argument("--model", default=None, help="state_dict written by export_backbones.py (.pt); default: seeded random init")
    ap.add_argument("--arch", required=True, choices=("resnet18", "vit_b_16", "vit_l_16", "vit_h_14"))
    ap.add_argument("--method", required=True, choices=R.METHODS)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--rank", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=5)
    ap.add_argument("--pad-width", type=int, default=30)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--compile", action="store_true", help="torch.compile the forward + loss")
    ns = ap.parse_args(argv)
    if ns.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: this torch has no usable CUDA device")
    if ns.compile and not hasattr(torch, "compile"):
        ap.error(f"--compile: torch {torch.__version__} has no torch.compile")
    if ns.steps < 1 or ns.warmup < 0 or ns.batch < 1:
        ap.error("need --steps >= 1, --warmup >= 0, --batch >= 1")
    if ns.method.startswith("vpt") and not ns.arch.startswith("vit"):
        ap.error(f"{ns.method} needs a ViT backbone")

    torch.set_num_threads(ns.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    t0 = time.perf_counter()
    bb = load_backbone(ns.arch, ns.model)
    dev = torch.device(ns.device)
    bb.module.to(dev)
    setup_s = time.perf_counter() - t0

    cfg = R.Config(method=ns.method, head="lp", rank=ns.rank, init="zero,normal", pad_size=ns.pad_width,
                   prompt_len=ns.tokens, lr=ns.lr, optimizer="sgd", momentum=0.9, weight_decay=1e-4,
                   scheduler="constant", mean=IMAGENET_MEAN, std=IMAGENET_STD, seed=ns.seed,
                   num_classes=ns.classes)
    gen = torch.Generator().manual_seed(ns.seed)
    params = {k: v.to(dev).requires_grad_(True) for k, v in R.init_params(cfg, bb, gen).items()}
    opt = R.make_optimizer(cfg, [params[k] for k in sorted(params)])
    x = torch.rand(ns.batch, 3, IMAGE, IMAGE, generator=gen).to(dev)
    y = torch.randint(0, ns.classes, (ns.batch,), generator=gen).to(dev)
    loss_fn = torch.compile(step_loss) if ns.compile else step_loss
    sync = torch.cuda.synchronize if ns.device == "cuda" else (lambda: None)

    step_ms, first_loss = [], None
    for i in range(ns.warmup + ns.steps):
        sync()
        ts = time.perf_counter()
        loss = loss_fn(cfg, bb, params, x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        te = time.perf_counter()
        if i == 0:
            first_loss = float(loss)
        if i >= ns.warmup:
            step_ms.append((te - ts) * 1000.0)

    median = statistics.median(step_ms)
    print(json.dumps({
        "engine": "pytorch", "torch": torch.__version__, "arch": ns.arch, "method": ns.method,
        "batch": ns.batch, "threads": ns.threads, "setup_s": round(setup_s, 3),
        "step_ms": [round(s, 2) for s in step_ms], "median_ms": round(median, 2),
        "images_per_s": round(ns.batch * 1000.0 / median, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "first_loss": first_loss,
        "trainable_params": sum(p.numel() for p in params.values()),
        "blas": loaded_blas(),
        "device": torch.cuda.get_device_name() if ns.device == "cuda" else "cpu",
        "compiled": ns.compile,
        **({"peak_device_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)} if ns.device == "cuda" else {}),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
