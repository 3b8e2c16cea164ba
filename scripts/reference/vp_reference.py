#!/usr/bin/python3
"""Independent PyTorch reference of the methods in docs/METHODS.md.

Written from METHODS.md only (not from any TypeScript code in this repository),
so that `vp-studio train` can be checked against numbers nobody here computed
with our own engine. make_fixtures.py (next to this file) uses it to write
tests/fixtures/train/; see tests/fixtures/train/README.md for the format.

What is here:
  * tiny safetensors writer/reader (the `safetensors` package is not needed);
  * backbones: torchvision VisionTransformer (the real class) and a tiny
    torchvision-style ResNet, with a forward that exposes the penultimate
    features and, for ViTs, accepts VPT tokens;
  * prompts: lorvp, pad, vpt, vpt-deep, none;  heads: lp, fm, flm, ilm;
  * frequency label mapping (greedy, row-major tie break);
  * optimisers torch.optim.SGD / torch.optim.AdamW, per-step schedules;
  * `train(...)`: the whole training loop, driven by the very same
    `vp-studio train` flags that are stored in each case.json.

Conventions (all also in the fixture README):
  * images: RGB uint8 / 255, NCHW; class = sub-folder (sorted by name),
    files sorted by name; dataset order = class-major; batches in that order,
    no shuffle, no augmentation, last batch may be smaller;
  * step t (0-based, global over epochs) uses lr_t (set before the step);
    loss[t] is the mean CE of batch t with the parameters *before* update t;
  * val_acc[e] = top-1 accuracy on val/ after the last step of epoch e;
  * flm: mapping computed once before step 0; ilm: recomputed at the start of
    every epoch e with e % mapping_freq == 0 (epoch 0 included), with the
    prompt as it is at that moment;
  * the computation runs in float64 by default (the oracle); the fixtures
    record how far a float32 run of the same reference drifts from it.

Run /usr/bin/python3 (Debian torch 1.13, torchvision 0.14).
"""
from __future__ import annotations

import argparse
import json
import math
import struct
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock
from torchvision.models.vision_transformer import VisionTransformer

METHODS = ("lorvp", "pad", "vpt", "vpt-deep", "none")
HEADS = ("lp", "fm", "flm", "ilm")
OPTIMIZERS = ("sgd", "adamw")
SCHEDULERS = ("cosine", "multistep", "constant")
INIT_NAMES = ("zero", "random", "xavier", "kaiming", "uniform", "normal")


# ---------------------------------------------------------------------------
# safetensors (own minimal writer / reader)
# ---------------------------------------------------------------------------

_DTYPES = {"F32": np.float32, "I32": np.int32, "F64": np.float64, "I64": np.int64}


def write_safetensors(path: str, tensors: Dict[str, np.ndarray]) -> None:
    """8-byte little-endian header length, JSON header
    {name: {dtype, shape, data_offsets}} padded with spaces to a multiple of 8,
    then the raw little-endian data; tensors sorted by name."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        if arr.dtype == np.float32:
            dt = "F32"
        elif arr.dtype == np.int32:
            dt = "I32"
        else:
            raise TypeError(f"{name}: unsupported dtype {arr.dtype} (cast to float32 / int32 first)")
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": [int(s) for s in arr.shape],
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path: str) -> Dict[str, np.ndarray]:
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        dt = np.dtype(_DTYPES[meta["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(raw[base + a:base + b], dtype=dt).reshape(meta["shape"]).astype(
            _DTYPES[meta["dtype"]])
    return out


# ---------------------------------------------------------------------------
# Backbones
# ---------------------------------------------------------------------------


class TinyResNet(nn.Module):
    """torchvision-style ResNet (BasicBlock from torchvision), 3x3 stride-1 stem,
    no max-pool, one BasicBlock per stage, stage strides 1,2,2,...; adaptive
    average pool; fc. `forward_features` returns the input of fc."""

    def __init__(self, widths=(8, 16), num_classes=10, image_size=16):
        super().__init__()
        self.image_size = image_size
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        layers = []
        inplanes = widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or inplanes != w:
                down = nn.Sequential(nn.Conv2d(inplanes, w, 1, stride=stride, bias=False), nn.BatchNorm2d(w))
            layers.append(BasicBlock(inplanes, w, stride=stride, downsample=down))
            inplanes = w
        self.layers = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(inplanes, num_classes)

    def forward_features(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x):
        return self.fc(self.forward_features(x))


class Backbone:
    """Frozen backbone in eval mode with the hooks the methods need.

    features(x, tokens=None, deep=None) -> penultimate features (input of the
    backbone's own classification layer); classify(f) -> source logits."""

    def __init__(self, module: nn.Module, kind: str):
        assert kind in ("vit", "resnet")
        self.module = module.eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.kind = kind

    def to(self, dtype):
        import copy
        m = copy.deepcopy(self.module).to(dtype)
        return Backbone(m, self.kind)

    # --- geometry
    @property
    def image_size(self) -> int:
        return self.module.image_size

    @property
    def feature_dim(self) -> int:
        if self.kind == "vit":
            return self.module.hidden_dim
        return self.module.fc.in_features

    @property
    def num_source_classes(self) -> int:
        if self.kind == "vit":
            return self.module.heads.head.out_features
        return self.module.fc.out_features

    @property
    def depth(self) -> int:
        assert self.kind == "vit"
        return len(self.module.encoder.layers)

    # --- forward pieces
    def features(self, x, tokens=None, deep=None):
        if self.kind == "resnet":
            if tokens is not None:
                raise ValueError("VPT needs a ViT backbone")
            return self.module.forward_features(x)
        return vit_features(self.module, x, tokens, deep)

    def classify(self, feats):
        if self.kind == "vit":
            return self.module.heads(feats)
        return self.module.fc(feats)


def _encoder_block(blk, x):
    """torchvision EncoderBlock written out (pre-norm, nn.MultiheadAttention with
    the packed in_proj, eval: dropout = identity)."""
    y = blk.ln_1(x)
    mha = blk.self_attention
    n, s, d = y.shape
    h = mha.num_heads
    dh = d // h
    qkv = F.linear(y, mha.in_proj_weight, mha.in_proj_bias)
    q, k, v = qkv.split(d, dim=-1)
    q = q.reshape(n, s, h, dh).transpose(1, 2)
    k = k.reshape(n, s, h, dh).transpose(1, 2)
    v = v.reshape(n, s, h, dh).transpose(1, 2)
    att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
    o = (att @ v).transpose(1, 2).reshape(n, s, d)
    o = F.linear(o, mha.out_proj.weight, mha.out_proj.bias)
    x = x + o
    return x + blk.mlp(blk.ln_2(x))


def vit_features(vit: VisionTransformer, x, tokens=None, deep=None):
    """conv_proj -> flatten -> cat class token -> + pos_embedding
    -> [insert p prompt tokens after CLS] -> blocks (vpt-deep: before block i>=1
    replace positions 1..p by deep[i-1]) -> ln -> CLS token."""
    n = x.shape[0]
    h = vit._process_input(x)  # conv_proj, flatten, (N, HW, D)
    cls = vit.class_token.expand(n, -1, -1)
    h = torch.cat([cls, h], dim=1)
    h = h + vit.encoder.pos_embedding
    p = 0
    if tokens is not None:
        p = tokens.shape[0]
        h = torch.cat([h[:, :1], tokens.unsqueeze(0).expand(n, -1, -1), h[:, 1:]], dim=1)
    for i, blk in enumerate(vit.encoder.layers):
        if i >= 1 and deep is not None:
            h = torch.cat([h[:, :1], deep[i - 1].unsqueeze(0).expand(n, -1, -1), h[:, 1 + p:]], dim=1)
        h = _encoder_block(blk, h)
    h = vit.encoder.ln(h)
    return h[:, 0]


# ---------------------------------------------------------------------------
# Initialisation (what `--init` / defaults mean; fixtures pass --init-from)
# ---------------------------------------------------------------------------


def init_tensor(name: str, shape: Sequence[int], gen: torch.Generator) -> torch.Tensor:
    """LoR-VP init by name, torch.nn.init semantics on the PyTorch layout:
    fan_in = shape[1]*prod(shape[2:]), fan_out = shape[0]*prod(shape[2:])."""
    t = torch.empty(tuple(shape), dtype=torch.float32)
    recept = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    fan_in, fan_out = shape[1] * recept, shape[0] * recept
    if name == "zero":
        t.zero_()
    elif name == "random":
        t.normal_(0.0, 1.0, generator=gen)
    elif name == "normal":
        t.normal_(0.0, 0.01, generator=gen)
    elif name == "uniform":
        t.uniform_(-0.1, 0.1, generator=gen)
    elif name == "xavier":  # xavier_uniform_, gain 1
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        t.uniform_(-bound, bound, generator=gen)
    elif name == "kaiming":  # kaiming_uniform_(nonlinearity='relu'): a=0, fan_in
        bound = math.sqrt(2.0) * math.sqrt(3.0 / fan_in)
        t.uniform_(-bound, bound, generator=gen)
    else:
        raise ValueError(f"unknown init method {name!r} (choose from {', '.join(INIT_NAMES)})")
    return t


def init_params(cfg: "Config", bb: Backbone, gen: torch.Generator) -> Dict[str, torch.Tensor]:
    """Initial trainable tensors (float32), drawn in a fixed order:
    prompt first, then head weight, then head bias."""
    L = bb.image_size
    out: Dict[str, torch.Tensor] = {}
    if cfg.method == "lorvp":
        ib, ia = parse_init(cfg.init)
        out["prompt.B"] = init_tensor(ib, (3, L, cfg.rank), gen)
        out["prompt.A"] = init_tensor(ia, (3, cfg.rank, L), gen)
    elif cfg.method == "pad":
        p = cfg.pad_size
        for nm, shp in pad_shapes(L, p).items():
            out[nm] = torch.randn(shp, generator=gen)
    elif cfg.method in ("vpt", "vpt-deep"):
        if bb.kind != "vit":
            raise ValueError("VPT needs a ViT backbone")
        ph, pw = bb.module.patch_size, bb.module.patch_size
        D = bb.feature_dim
        v = math.sqrt(6.0 / (3 * ph * pw + D))
        out["prompt.tokens"] = torch.empty(cfg.prompt_len, D).uniform_(-v, v, generator=gen)
        if cfg.method == "vpt-deep":
            out["prompt.deep"] = torch.empty(bb.depth - 1, cfg.prompt_len, D).uniform_(-v, v, generator=gen)
    if cfg.head in ("lp", "fm"):
        fin = bb.feature_dim if cfg.head == "lp" else bb.num_source_classes
        bound = 1.0 / math.sqrt(fin)  # nn.Linear default (kaiming_uniform a=sqrt(5))
        out["head.weight"] = torch.empty(cfg.num_classes, fin).uniform_(-bound, bound, generator=gen)
        out["head.bias"] = torch.empty(cfg.num_classes).uniform_(-bound, bound, generator=gen)
    return out


def parse_init(s: str) -> Tuple[str, str]:
    parts = s.split(",")
    if len(parts) != 2:
        raise ValueError(f"--init must be '<B>,<A>', got {s!r}")
    for p in parts:
        if p not in INIT_NAMES:
            raise ValueError(f"unknown init method {p!r} (choose from {', '.join(INIT_NAMES)})")
    return parts[0], parts[1]


def pad_shapes(L: int, p: int) -> Dict[str, Tuple[int, ...]]:
    if not (0 < 2 * p < L):
        raise ValueError(f"pad size {p} does not fit image {L}")
    return {
        "prompt.pad_up": (1, 3, p, L),
        "prompt.pad_down": (1, 3, p, L),
        "prompt.pad_left": (1, 3, L - 2 * p, p),
        "prompt.pad_right": (1, 3, L - 2 * p, p),
    }


# ---------------------------------------------------------------------------
# Prompts and heads
# ---------------------------------------------------------------------------


def lorvp_prompt(B, A):
    """P = B @ A per channel: (3,L,r) @ (3,r,L) -> (3,L,L)."""
    return torch.bmm(B, A)


def pad_prompt(params):
    """Frame: rows [0,p) = up, rows [L-p,L) = down, rows [p,L-p) columns [0,p)
    = left and columns [L-p,L) = right; centre 0. Shape (1,3,L,L)."""
    up, down = params["prompt.pad_up"], params["prompt.pad_down"]
    left, right = params["prompt.pad_left"], params["prompt.pad_right"]
    L = up.shape[-1]
    p = up.shape[2]
    centre = torch.zeros(1, 3, L - 2 * p, L - 2 * p, dtype=up.dtype, device=up.device)
    mid = torch.cat([left, centre, right], dim=3)
    return torch.cat([up, mid, down], dim=2)


def normalize(x, mean, std):
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x - m) / s


def source_forward(cfg, bb: Backbone, params, x):
    """Returns (features, source logits) of images x in [0,1] with the prompt."""
    tokens = deep = None
    if cfg.method == "lorvp":
        xn = normalize(x + lorvp_prompt(params["prompt.B"], params["prompt.A"]), cfg.mean, cfg.std)
    elif cfg.method == "pad":
        xn = normalize(x, cfg.mean, cfg.std) + pad_prompt(params)
    elif cfg.method in ("vpt", "vpt-deep"):
        xn = normalize(x, cfg.mean, cfg.std)
        tokens = params["prompt.tokens"]
        deep = params.get("prompt.deep") if cfg.method == "vpt-deep" else None
    elif cfg.method == "none":
        xn = normalize(x, cfg.mean, cfg.std)
    else:
        raise ValueError(cfg.method)
    f = bb.features(xn, tokens, deep)
    need_src = cfg.head != "lp"
    return f, (bb.classify(f) if need_src else None)


def target_logits(cfg, bb, params, x, mapping: Optional[np.ndarray]):
    f, src = source_forward(cfg, bb, params, x)
    if cfg.head == "lp":
        return F.linear(f, params["head.weight"], params["head.bias"])
    if cfg.head == "fm":
        return F.linear(src, params["head.weight"], params["head.bias"])
    idx = torch.as_tensor(mapping, dtype=torch.long)
    return src[:, idx]


# ---------------------------------------------------------------------------
# Label mapping
# ---------------------------------------------------------------------------


def label_counts(top1: np.ndarray, labels: np.ndarray, S: int, C: int) -> np.ndarray:
    """D[s, t] = number of images of target class t whose top-1 source class is s."""
    D = np.zeros((S, C), dtype=np.int64)
    np.add.at(D, (top1, labels), 1)
    return D


def greedy_mapping(D: np.ndarray) -> np.ndarray:
    """Repeat C times: the largest remaining entry (first in row-major order on
    ties, = argmax of the flattened S x C matrix), assign source row s* to
    target column t*, then remove row s* and column t* (set to -1, so removed
    entries never win, while remaining zero counts still can)."""
    D = D.astype(np.int64).copy()
    S, C = D.shape
    if S < C:
        raise ValueError(f"label mapping needs at least as many source classes ({S}) as targets ({C})")
    mapping = np.full(C, -1, dtype=np.int32)
    for _ in range(C):
        k = int(np.argmax(D))  # numpy: first occurrence
        s, t = divmod(k, C)
        mapping[t] = s
        D[s, :] = -1
        D[:, t] = -1
    return mapping


@torch.no_grad()
def compute_mapping(cfg, bb, params, images, labels):
    src = []
    for i in range(0, len(images), 64):
        src.append(source_forward(cfg, bb, params, images[i:i + 64])[1])
    src = torch.cat(src).double().numpy()
    top1 = np.argmax(src, axis=1)
    srt = np.sort(src, axis=1)
    margin = float((srt[:, -1] - srt[:, -2]).min())
    D = label_counts(top1, labels.numpy(), src.shape[1], cfg.num_classes)
    return greedy_mapping(D), D, margin


# ---------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------


def lr_at(t: int, T: int, base: float, scheduler: str, warmup: int = 0) -> float:
    """lr of step t (0-based) out of T.
    warm-up (W = warmup steps, 0 = none): t < W -> base*(t+1)/W;
    then u = t - W, U = T - W:
      cosine:    base * 0.5 * (1 + cos(pi * u / U))
      multistep: base * 0.1 ** (#{m in (floor(0.5 U), floor(0.72 U)) : u >= m})
      constant:  base."""
    if warmup and t < warmup:
        return base * (t + 1) / warmup
    u, U = t - warmup, T - warmup
    if scheduler == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * u / U))
    if scheduler == "multistep":
        ms = (int(math.floor(0.5 * U)), int(math.floor(0.72 * U)))
        return base * (0.1 ** sum(1 for m in ms if u >= m))
    if scheduler == "constant":
        return base
    raise ValueError(f"unknown scheduler {scheduler!r}")


# ---------------------------------------------------------------------------
# Config: parsed from the very `vp-studio train` flags stored in case.json
# ---------------------------------------------------------------------------


@dataclass
class Config:
    method: str = "lorvp"
    head: str = "lp"
    rank: int = 4
    init: str = "zero,normal"
    pad_size: int = 30
    prompt_len: int = 10
    mapping_freq: int = 1
    epochs: int = 1
    batch_size: int = 8
    lr: float = 0.02
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 1e-4
    scheduler: str = "cosine"
    warmup_steps: int = 0
    mean: Tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: Tuple[float, float, float] = (0.5, 0.5, 0.5)
    seed: int = 0
    init_from: Optional[str] = None
    num_classes: int = 0  # filled from the data
    extra: Dict[str, object] = field(default_factory=dict)


def _triple(s: str) -> Tuple[float, float, float]:
    v = tuple(float(x) for x in s.split(","))
    if len(v) != 3:
        raise argparse.ArgumentTypeError("need three comma-separated numbers")
    return v  # type: ignore[return-value]


def arg_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="vp_reference train", add_help=False)
    ap.add_argument("--method", choices=METHODS, default="lorvp")
    ap.add_argument("--head", choices=HEADS, default="lp")
    ap.add_argument("--rank", type=int, default=4)
    ap.add_argument("--init", default="zero,normal")
    ap.add_argument("--pad-width", dest="pad_size", type=int, default=30)
    ap.add_argument("--tokens", dest="prompt_len", type=int, default=10)
    ap.add_argument("--mapping-freq", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--scheduler", choices=SCHEDULERS, default="cosine")
    ap.add_argument("--warmup", dest="warmup_steps", type=int, default=0)
    ap.add_argument("--mean", type=_triple, default=(0.5, 0.5, 0.5))
    ap.add_argument("--std", type=_triple, default=(0.5, 0.5, 0.5))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-shuffle", action="store_true")
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--init-from", default=None)
    return ap


def config_from_args(args: Sequence[str]) -> Config:
    ns = arg_parser().parse_args(list(args))
    if not ns.no_shuffle or not ns.no_augment:
        raise ValueError("the reference only implements --no-shuffle --no-augment")
    parse_init(ns.init)
    return Config(method=ns.method, head=ns.head, rank=ns.rank, init=ns.init, pad_size=ns.pad_size,
                  prompt_len=ns.prompt_len, mapping_freq=ns.mapping_freq, epochs=ns.epochs,
                  batch_size=ns.batch_size, lr=ns.lr, optimizer=ns.optimizer, momentum=ns.momentum,
                  weight_decay=ns.weight_decay, scheduler=ns.scheduler, warmup_steps=ns.warmup_steps,
                  mean=tuple(ns.mean), std=tuple(ns.std), seed=ns.seed, init_from=ns.init_from)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def load_image_folder(root: str, image_size: Optional[int] = None):
    """class = sub-folder, classes sorted by name, files sorted by name;
    images RGB uint8/255 as float64 NCHW. No resize: images must already be
    image_size x image_size."""
    import os
    from PIL import Image

    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    xs, ys, files = [], [], []
    for ci, c in enumerate(classes):
        for fn in sorted(os.listdir(os.path.join(root, c))):
            path = os.path.join(root, c, fn)
            img = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
            if image_size is not None and img.shape[:2] != (image_size, image_size):
                raise ValueError(f"{path}: {img.shape[:2]} is not {image_size}x{image_size}")
            xs.append(img.transpose(2, 0, 1))
            ys.append(ci)
            files.append(os.path.join(c, fn))
    return torch.from_numpy(np.stack(xs)), torch.tensor(ys, dtype=torch.long), classes, files


# ---------------------------------------------------------------------------
# Training loop
# ---------------------------------------------------------------------------


def make_optimizer(cfg, plist):
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(plist, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(plist, lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=cfg.weight_decay)


@torch.no_grad()
def evaluate(cfg, bb, params, images, labels, mapping):
    logits = torch.cat([target_logits(cfg, bb, params, images[i:i + 64], mapping)
                        for i in range(0, len(images), 64)])
    lg = logits.double().numpy()
    pred = np.argmax(lg, axis=1)
    srt = np.sort(lg, axis=1)
    margin = float((srt[:, -1] - srt[:, -2]).min()) if lg.shape[1] > 1 else float("inf")
    return float((pred == labels.numpy()).mean()), margin


def train(cfg: Config, bb: Backbone, train_x, train_y, val_x, val_y,
          init: Dict[str, np.ndarray], dtype=torch.float64) -> dict:
    """Runs the whole schedule. Returns a dict with losses, lrs, val_acc,
    final tensors (numpy float32 / int32 mapping) and diagnostics."""
    bb = bb.to(dtype)
    train_x, val_x = train_x.to(dtype), val_x.to(dtype)
    params = {k: torch.tensor(np.asarray(v), dtype=dtype).requires_grad_(True) for k, v in sorted(init.items())}
    expect = expected_names(cfg, bb)
    if sorted(params) != sorted(expect):
        raise ValueError(f"init tensors {sorted(params)} != expected {sorted(expect)}")
    for k, shp in expect.items():
        if tuple(params[k].shape) != tuple(shp):
            raise ValueError(f"{k}: shape {tuple(params[k].shape)} != {tuple(shp)}")
    opt = make_optimizer(cfg, [params[k] for k in sorted(params)]) if params else None

    n = len(train_x)
    spe = (n + cfg.batch_size - 1) // cfg.batch_size
    T = spe * cfg.epochs
    losses, lrs, val_acc, batch_sizes = [], [], [], []
    mappings, counts, map_margins, val_margins = [], [], [], []
    mapping = None
    t = 0
    for epoch in range(cfg.epochs):
        if (cfg.head == "flm" and epoch == 0) or (cfg.head == "ilm" and epoch % cfg.mapping_freq == 0):
            mapping, D, mm = compute_mapping(cfg, bb, params, train_x, train_y)
            mappings.append({"epoch": epoch, "mapping": mapping.tolist()})
            counts.append(D.tolist())
            map_margins.append(mm)
        for b0 in range(0, n, cfg.batch_size):
            xb, yb = train_x[b0:b0 + cfg.batch_size], train_y[b0:b0 + cfg.batch_size]
            lr_t = lr_at(t, T, cfg.lr, cfg.scheduler, cfg.warmup_steps)
            logits = target_logits(cfg, bb, params, xb, mapping)
            loss = F.cross_entropy(logits, yb)  # mean over the batch
            losses.append(float(loss))
            lrs.append(lr_t)
            batch_sizes.append(len(xb))
            if opt is not None:
                for g in opt.param_groups:
                    g["lr"] = lr_t
                opt.zero_grad()
                loss.backward()
                opt.step()
            t += 1
        acc, vm = evaluate(cfg, bb, params, val_x, val_y, mapping)
        val_acc.append(acc)
        val_margins.append(vm)
    final = {k: v.detach().to(torch.float32).numpy().copy() for k, v in params.items()}
    if mapping is not None:
        final["mapping"] = mapping.astype(np.int32)
    return {
        "losses": losses, "lrs": lrs, "val_acc": val_acc, "steps": T, "steps_per_epoch": spe,
        "batch_sizes": batch_sizes, "final": final, "mappings": mappings, "label_counts": counts,
        "min_top1_margin_mapping": min(map_margins) if map_margins else None,
        "min_top1_margin_val": min(val_margins),
    }


def expected_names(cfg: Config, bb: Backbone) -> Dict[str, Tuple[int, ...]]:
    L = bb.image_size
    out: Dict[str, Tuple[int, ...]] = {}
    if cfg.method == "lorvp":
        out["prompt.B"] = (3, L, cfg.rank)
        out["prompt.A"] = (3, cfg.rank, L)
    elif cfg.method == "pad":
        out.update(pad_shapes(L, cfg.pad_size))
    elif cfg.method in ("vpt", "vpt-deep"):
        if bb.kind != "vit":
            raise ValueError("VPT needs a ViT backbone")
        out["prompt.tokens"] = (cfg.prompt_len, bb.feature_dim)
        if cfg.method == "vpt-deep":
            out["prompt.deep"] = (bb.depth - 1, cfg.prompt_len, bb.feature_dim)
    if cfg.head == "lp":
        out["head.weight"] = (cfg.num_classes, bb.feature_dim)
        out["head.bias"] = (cfg.num_classes,)
    elif cfg.head == "fm":
        out["head.weight"] = (cfg.num_classes, bb.num_source_classes)
        out["head.bias"] = (cfg.num_classes,)
    return out
