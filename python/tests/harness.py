"""Test plumbing: image folders, the project's Node CLI and onnxruntime-node (the oracle for model.onnx)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import List, Sequence

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYTHON_DIR = os.path.join(REPO, "python")
NODE = os.environ.get("NODE", "node")


def make_folder(root: str, classes: Sequence[str], per_class: Sequence[int], size: int, seed: int) -> None:
    """PNG images (lossless: sharp and PIL decode them to the same pixels), one sub-folder per class; each class a
    different colour trend plus noise so a prompt can learn something."""
    from PIL import Image
    g = np.random.default_rng(seed)
    for c, (name, n) in enumerate(zip(classes, per_class)):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(n):
            base = np.zeros((size, size, 3))
            base[..., c % 3] = 0.6
            img = np.clip(base + g.uniform(0, 0.4, (size, size, 3)) + (c * 0.1), 0, 1)
            Image.fromarray((img * 255).round().astype(np.uint8)).save(os.path.join(root, name, f"{i:03d}.png"))


def cli(jobs: List[List[str]]) -> None:
    """Runs `vp-studio` commands (one Node process for all); raises with stderr on failure."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(jobs, f)
    r = subprocess.run([NODE, os.path.join(HERE, "cli_many.mjs"), f.name], cwd=REPO, capture_output=True, text=True)
    os.unlink(f.name)
    if r.returncode:
        raise RuntimeError(f"vp-studio failed ({r.returncode}): {r.stderr.strip()[-2000:]}")


def cli_json(args: List[str]) -> dict:
    r = subprocess.run([NODE, os.path.join(REPO, "bin/vp-studio.mjs"), *args], cwd=REPO, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"vp-studio {args[0]} failed: {r.stderr.strip()[-2000:]}")
    return json.loads(r.stdout)


def ort_logits(model: str, images: torch.Tensor) -> torch.Tensor:
    """The model's first output on `images` [N,3,L,L], through onnxruntime-node."""
    with tempfile.TemporaryDirectory() as d:
        inp, out = os.path.join(d, "x.f32"), os.path.join(d, "y.f32")
        images.detach().float().contiguous().numpy().tofile(inp)
        subprocess.run([NODE, os.path.join(HERE, "ort_run.mjs"), model, inp, out, str(images.shape[0]), str(images.shape[-1])],
                       check=True, cwd=REPO, capture_output=True)
        return torch.from_numpy(np.fromfile(out, dtype=np.float32)).reshape(images.shape[0], -1)


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a − b| / max |b| (the relative error the issue bounds)."""
    return float((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-12))


# torch 1.13's launcher on Python ≥ 3.11 (Debian bookworm) fails to parse its default "--redirects 0" (IntFlag
# iteration no longer yields NONE): name a redirect it can parse (stdout also to a log file, and to the console)
TORCHRUN_FIX = ["--redirects", "1", "--tee", "1"] if sys.version_info >= (3, 11) and torch.__version__.startswith("1.") else []


def run_python(args: List[str], nproc: int = 1, env=None) -> subprocess.CompletedProcess:
    """python -m vp_studio.train …, or under torchrun with nproc processes (gloo on CPU)."""
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([PYTHON_DIR, HERE]), OMP_NUM_THREADS="1", **(env or {}))
    cmd = [sys.executable, "-m", "vp_studio.train", *args]
    if nproc > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *TORCHRUN_FIX, "-m", "vp_studio.train", *args]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=e)
    if r.returncode:
        raise RuntimeError(f"vp_studio.train failed ({r.returncode}): {r.stderr.strip()[-3000:]}")
    return r


def metrics(run_dir: str) -> List[dict]:
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def step_losses(run_dir: str) -> List[float]:
    return [m["loss"] for m in metrics(run_dir) if "step" in m]
