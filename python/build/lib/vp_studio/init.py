"""Initial trainable tensors, drawn exactly as the studio draws them (src/engine/init.ts, compile.ts initParams):
one xoshiro stream seeded with the run's seed, in the order prompt (LoR-VP B then A; pad up, down, left, right;
VPT tokens then deep), then the head (nn.Linear's U(±1/√in), weight then bias)."""
from __future__ import annotations

import math
from typing import Callable, Dict, List, Sequence

import torch

from .families import Backbone
from .rng import Rng

INITS = ("zero", "normal", "random", "uniform", "xavier", "kaiming")


def _filled(shape: Sequence[int], f: Callable[[], float]) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([f() for _ in range(n)], dtype=torch.float32).reshape(list(shape))


def _uniform(rng: Rng, lo: float, hi: float) -> float:
    return lo + (hi - lo) * rng.next()


def init_tensor(kind: str, shape: Sequence[int], rng: Rng) -> torch.Tensor:
    rf = 1
    for s in shape[2:]:
        rf *= s
    fan_in, fan_out = shape[1] * rf, shape[0] * rf
    if kind == "zero":
        return torch.zeros(list(shape))
    if kind == "normal":
        return _filled(shape, lambda: 0.01 * rng.normal())
    if kind == "random":
        return _filled(shape, rng.normal)
    if kind == "uniform":
        return _filled(shape, lambda: _uniform(rng, -0.1, 0.1))
    if kind == "xavier":
        a = math.sqrt(6 / (fan_in + fan_out))
        return _filled(shape, lambda: _uniform(rng, -a, a))
    if kind == "kaiming":
        a = math.sqrt(2) * math.sqrt(3 / fan_in)
        return _filled(shape, lambda: _uniform(rng, -a, a))
    raise ValueError(f"unknown init '{kind}' (choose from {', '.join(INITS)})")


def parse_init(init: str) -> List[str]:
    parts = [p.strip() for p in init.split(",")]
    if len(parts) != 2:
        raise ValueError(f"--init must be \"<B>,<A>\" (e.g. zero,normal), got \"{init}\"")
    for p in parts:
        if p not in INITS:
            raise ValueError(f"unknown init \"{p}\" (choose from {', '.join(INITS)})")
    return parts


def initial_tensors(s: Dict, bb: Backbone, L: int, num_classes: int) -> Dict[str, torch.Tensor]:
    rng = Rng(int(s["seed"]))
    p: Dict[str, torch.Tensor] = {}
    method, head = s["method"], s["head"]
    if method == "lorvp":
        b, a = parse_init(s["init"])
        r = int(s["rank"])
        p["prompt.B"] = init_tensor(b, (3, L, r), rng)
        p["prompt.A"] = init_tensor(a, (3, r, L), rng)
    elif method == "pad":
        w, side = int(s["padWidth"]), L - 2 * int(s["padWidth"])
        for name, shape in (("up", (1, 3, w, L)), ("down", (1, 3, w, L)), ("left", (1, 3, side, w)), ("right", (1, 3, side, w))):
            p[f"prompt.pad_{name}"] = _filled(shape, rng.normal)
    elif method in ("vpt", "vpt-deep"):
        if bb.vit is None:
            raise ValueError(f"{method} needs a ViT backbone (a patch embedding and transformer blocks); this backbone looks like a {bb.kind}")
        ph, pw = bb.vit.patch
        bound, t = math.sqrt(6 / (3 * ph * pw + bb.vit.width)), int(s["tokens"])
        p["prompt.tokens"] = _filled((t, bb.vit.width), lambda: _uniform(rng, -bound, bound))
        if method == "vpt-deep" and bb.depth > 1:
            p["prompt.deep"] = _filled((bb.depth - 1, t, bb.vit.width), lambda: _uniform(rng, -bound, bound))
    if head in ("lp", "fm"):
        inp = bb.feature_width if head == "lp" else bb.num_source_classes
        if inp is None:
            raise ValueError(f"head {head} needs the backbone's source logits, but this {bb.family} has no classifier")
        bound = 1 / math.sqrt(inp)
        p["head.weight"] = _filled((num_classes, inp), lambda: _uniform(rng, -bound, bound))
        p["head.bias"] = _filled((num_classes,), lambda: _uniform(rng, -bound, bound))
    return p


def greedy_mapping(counts: torch.Tensor) -> List[int]:
    """ILM-VP's greedy one-to-one mapping of an S×C count matrix: C times take the largest remaining count (first
    in row-major order on ties), assign source s → target t, remove row s and column t. result[t] = s."""
    M = counts.double().clone()
    S, C = M.shape
    out = [-1] * C
    for _ in range(C):
        k = int(torch.argmax(M.flatten()))  # first maximum
        s, t = divmod(k, C)
        out[t] = s
        M[s, :] = float("-inf")
        M[:, t] = float("-inf")
    return out
