#!/usr/bin/python3
"""Export the benchmark backbones: torchvision resnet18, vit_b_16, and the large
ViTs vit_l_16 (304 M parameters, 1.2 GB) and vit_h_14 (632 M, 2.5 GB: over
protobuf's 2 GiB), with random weights (torch.manual_seed(0), 1000 classes,
eval mode, 224x224).

    /usr/bin/python3 scripts/bench/export_backbones.py --out bench/models [--only ARCH] [--force]

For each model writes <out>/<name>.onnx (opset 17, input "input" [N,3,224,224]
with a dynamic batch axis, output "logits", constant folding on, weights
embedded in the file — or, for a model over 2 GiB, in <name>.onnx_data beside
it, the hubs' external-data layout) and <out>/<name>.pt (the state_dict, so that
torch_step.py trains on the very same weights). A model whose .onnx and .pt
both exist is skipped unless --force. bench/models/ is not committed.

Run with /usr/bin/python3 (Debian torch 1.13, torchvision 0.14, onnx 1.12).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings

import torch
import torchvision

ARCHS = ("resnet18", "vit_b_16", "vit_l_16", "vit_h_14")
DEFAULT_ARCHS = ("resnet18", "vit_b_16")
PROTOBUF_LIMIT = 2 * 2**30
IMAGE = 224
OPSET = 17


def build(arch: str) -> torch.nn.Module:
    """torchvision architecture, random weights drawn after manual_seed(0), eval mode."""
    torch.manual_seed(0)
    return getattr(torchvision.models, arch)(weights=None, num_classes=1000).eval()


def export(arch: str, out: str, force: bool) -> None:
    onnx_path = os.path.join(out, f"{arch}.onnx")
    pt_path = os.path.join(out, f"{arch}.pt")
    if not force and os.path.exists(onnx_path) and os.path.exists(pt_path):
        print(f"{arch}: {onnx_path} and {pt_path} exist, skipped (--force to redo)")
        return
    t0 = time.perf_counter()
    model = build(arch)
    torch.save(model.state_dict(), pt_path)
    x = torch.rand(2, 3, IMAGE, IMAGE)
    # Grad mode on and parameters requiring grad (the default after build), so
    # nn.MultiheadAttention does not take its fused fast path, which the
    # exporter cannot translate (aten::_native_multi_head_attention).
    big = sum(p.numel() * p.element_size() for p in model.parameters()) > PROTOBUF_LIMIT * 0.9
    # Over 2 GiB the exporter writes one file per tensor beside the model: export into a scratch folder, then
    # re-save as <name>.onnx + <name>.onnx_data.
    target = os.path.join(tempfile.mkdtemp(dir=out), "model.onnx") if big else onnx_path
    with torch.enable_grad(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.onnx.export(
            model, (x,), target,
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET, do_constant_folding=True,
        )
    if big:
        import onnx  # noqa: PLC0415 - only the large models need it
        proto = onnx.load(target)
        onnx.save_model(proto, onnx_path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=f"{arch}.onnx_data", size_threshold=1024)
        shutil.rmtree(os.path.dirname(target))
    seen = set()
    for w in caught:
        msg = f"{w.category.__name__}: {str(w.message).splitlines()[0][:160]}"
        if msg not in seen:
            seen.add(msg)
            print(f"{arch}: export warning {msg}")
    dt = time.perf_counter() - t0
    data = os.path.join(out, f"{arch}.onnx_data")
    for p in (onnx_path, pt_path) + ((data,) if big else ()):
        print(f"{arch}: {p} {os.path.getsize(p) / 2**20:.1f} MiB")
    print(f"{arch}: exported in {dt:.1f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/models")
    ap.add_argument("--only", choices=ARCHS, default=None)
    ap.add_argument("--force", action="store_true", help="re-export even if both files exist")
    ns = ap.parse_args(argv)
    os.makedirs(ns.out, exist_ok=True)
    for arch in ([ns.only] if ns.only else DEFAULT_ARCHS):
        export(arch, ns.out, ns.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
