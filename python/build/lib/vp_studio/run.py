"""A run directory as the studio and `vp-studio train` write it: manifest.json (settings, preprocessing, classes)
and prompt.safetensors (the trained tensors in PyTorch layouts + int32 `mapping`). `load_run` reads both and
refuses, in one line, a manifest that contradicts its tensors."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import torch

from .safetensors_io import read_safetensors

MANIFEST_FORMAT = "vp-studio-run/1"
METHODS = ("lorvp", "pad", "vpt", "vpt-deep", "none")
HEADS = ("lp", "fm", "flm", "ilm")


class RunError(ValueError):
    """A run directory that cannot be used; the message is one line naming the file at fault."""


@dataclass
class Run:
    manifest: Dict[str, Any]
    tensors: Dict[str, torch.Tensor]
    dir: Optional[str] = None
    metadata: Dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Dict[str, Any]:
        return self.manifest["settings"]

    @property
    def method(self) -> str:
        return self.settings["method"]

    @property
    def head(self) -> str:
        return self.settings["head"]

    @property
    def classes(self) -> List[str]:
        return list(self.manifest["classes"])

    @property
    def input_size(self) -> int:
        return int(self.manifest["preprocessing"]["inputSize"])

    @property
    def mean(self) -> List[float]:
        return [float(v) for v in self.manifest["preprocessing"]["mean"]]

    @property
    def std(self) -> List[float]:
        return [float(v) for v in self.manifest["preprocessing"]["std"]]

    @property
    def mapping(self) -> Optional[torch.Tensor]:
        return self.tensors.get("mapping")


def expected_shapes(s: Dict[str, Any], L: int, C: int, tensors: Dict[str, torch.Tensor]) -> Dict[str, Tuple[Optional[int], ...]]:
    """name → shape (None: any size, checked against the backbone by apply) that method and head imply."""
    method, head = s["method"], s["head"]
    out: Dict[str, Tuple[Optional[int], ...]] = {}
    if method == "lorvp":
        r = int(s["rank"])
        out["prompt.B"], out["prompt.A"] = (3, L, r), (3, r, L)
    elif method == "pad":
        p = int(s["padWidth"])
        out.update({"prompt.pad_up": (1, 3, p, L), "prompt.pad_down": (1, 3, p, L),
                    "prompt.pad_left": (1, 3, L - 2 * p, p), "prompt.pad_right": (1, 3, L - 2 * p, p)})
    elif method in ("vpt", "vpt-deep"):
        p = int(s["tokens"])
        out["prompt.tokens"] = (p, None)
        if method == "vpt-deep" and "prompt.deep" in tensors:  # absent for a one-block ViT
            out["prompt.deep"] = (None, p, None)
    if head in ("lp", "fm"):
        out["head.weight"], out["head.bias"] = (C, None), (C,)
    else:
        out["mapping"] = (C,)
    return out


def check_run(manifest: Dict[str, Any], tensors: Dict[str, torch.Tensor], where: str) -> None:
    if manifest.get("format") != MANIFEST_FORMAT:
        raise RunError(f"{where}: manifest format is {manifest.get('format')!r}, {MANIFEST_FORMAT!r} expected")
    s = manifest.get("settings") or {}
    if s.get("method") not in METHODS or s.get("head") not in HEADS:
        raise RunError(f"{where}: manifest settings name method {s.get('method')!r} / head {s.get('head')!r}, not one of {METHODS} / {HEADS}")
    L, C = int(manifest["preprocessing"]["inputSize"]), len(manifest["classes"])
    want = expected_shapes(s, L, C, tensors)
    for name, shape in want.items():
        t = tensors.get(name)
        if t is None:
            raise RunError(f"{where}: prompt.safetensors has no '{name}', which {s['method']} + {s['head']} needs")
        if len(t.shape) != len(shape) or any(w is not None and w != g for w, g in zip(shape, t.shape)):
            shown = "[" + ",".join("*" if w is None else str(w) for w in shape) + "]"
            raise RunError(f"{where}: tensor '{name}' has shape {list(t.shape)} but the manifest ({s['method']} + {s['head']}, L={L}, {C} classes) implies {shown}")
    extra = sorted(set(tensors) - set(want))
    if extra:
        raise RunError(f"{where}: prompt.safetensors has {', '.join(extra)}, which {s['method']} + {s['head']} does not use")
    m = tensors.get("mapping")
    if m is not None and (m.dtype != torch.int32 or len(set(m.tolist())) != C or int(m.min()) < 0):
        raise RunError(f"{where}: 'mapping' must be {C} distinct non-negative int32 source indices, got {m.tolist()}")


def load_run(run_dir: str) -> Run:
    """Reads RUN_DIR/manifest.json and RUN_DIR/prompt.safetensors; raises RunError (one line) when they disagree."""
    mp, tp = os.path.join(run_dir, "manifest.json"), os.path.join(run_dir, "prompt.safetensors")
    for p in (mp, tp):
        if not os.path.isfile(p):
            raise RunError(f"{run_dir}: no {os.path.basename(p)} (not a vp-studio run directory)")
    with open(mp, encoding="utf-8") as f:
        manifest = json.load(f)
    tensors, meta = read_safetensors(tp)
    for key in ("method", "head"):
        if key in meta and meta[key] != manifest.get("settings", {}).get(key):
            raise RunError(f"{run_dir}: prompt.safetensors says {key} {meta[key]!r} but manifest.json says {manifest['settings'].get(key)!r}")
    check_run(manifest, tensors, run_dir)
    return Run(manifest, tensors, run_dir, meta)
