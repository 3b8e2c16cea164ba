"""Image folders as the studio reads them (src/data/folder-node.ts, src/cli/dataset.ts): class = sub-folder in
code-point order, files in `sorted(os.walk)` order, a `train/` + `val/` (or `test/`) layout, the seeded stratified
split otherwise; RGB uint8/255 in NCHW, bilinear resize with antialiasing (torch's interpolate, which the studio's
resize matches), and LoR-VP's train augmentation Resize(⌊9L/8⌋) → RandomCrop(L) → flip, drawn from the same
xoshiro stream in the same order. Decoding is PIL's (the studio's is sharp/the browser's): bit-identical for PNG and
BMP, within JPEG decoder rounding for JPEG; the studio also lets sharp pre-shrink images larger than 4·L."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from .rng import Rng, stratified_split

SPLIT_DIRS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
IGNORED = {"thumbs.db", "desktop.ini", "__macosx"}
MAGIC = ((b"\xff\xd8\xff", 0), (b"\x89PNG\r\n\x1a\n", 0), (b"GIF87a", 0), (b"GIF89a", 0), (b"BM", 0))


def is_image(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(16)
    return any(head.startswith(m) for m, _ in MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _visible(names: List[str]) -> List[str]:
    return sorted(n for n in names if not n.startswith(".") and n.lower() not in IGNORED)


def _listdir(d: str) -> Tuple[List[str], List[str]]:
    names = _visible(os.listdir(d))
    return [n for n in names if os.path.isdir(os.path.join(d, n))], [n for n in names if not os.path.isdir(os.path.join(d, n))]


def _walk(d: str) -> List[str]:
    out = []
    for root, dirs, files in sorted(os.walk(d, followlinks=True)):
        dirs[:] = _visible(dirs)
        if any(part.startswith(".") for part in os.path.relpath(root, d).split(os.sep) if part != "."):
            continue
        out += [os.path.join(root, f) for f in _visible(files)]
    return out


@dataclass
class Folder:
    classes: List[str]
    paths: List[str]
    labels: List[int]
    splits: List[str]
    skipped: List[Dict[str, str]] = field(default_factory=list)
    is_split: bool = False


def scan_folder(root: str) -> Folder:
    if not os.path.isdir(root):
        raise ValueError(f"dataset folder '{root}' does not exist or is not a folder")
    dirs, _files = _listdir(root)
    split_dirs: Dict[str, str] = {}
    for d in dirs:
        s = SPLIT_DIRS.get(d.lower())
        if s and s not in split_dirs:
            split_dirs[s] = d
    is_split = "train" in split_dirs and ("val" in split_dirs or "test" in split_dirs) and bool(_listdir(os.path.join(root, split_dirs["train"]))[0])
    groups = [(s, os.path.join(root, split_dirs[s], c), c) for s in ("train", "val", "test") if s in split_dirs
              for c in _listdir(os.path.join(root, split_dirs[s]))[0]] if is_split else [("train", os.path.join(root, c), c) for c in dirs]
    cands, skipped = [], []
    for s, d, c in groups:
        for p in _walk(d):
            (cands.append((p, s, c)) if is_image(p) else skipped.append({"path": p, "reason": "not a JPEG, PNG, WebP, BMP or GIF image"}))
    classes = sorted({c for _, s, c in cands if s == "train"})
    if len(classes) < 2:
        raise ValueError(f"dataset folder '{root}' has {len(classes)} usable class(es); at least 2 class subfolders with images are needed")
    label = {c: i for i, c in enumerate(classes)}
    items = [(p, s, label[c]) for p, s, c in cands if c in label]
    rank = {"train": 0, "val": 1, "test": 2}
    items.sort(key=lambda it: (rank[it[1]], it[2]))  # stable: file order kept within a class
    return Folder(classes, [p for p, _, _ in items], [lb for _, _, lb in items], [s for _, s, _ in items], skipped, is_split)


@dataclass
class Split:
    classes: List[str]
    train: List[Tuple[str, int]]
    val: List[Tuple[str, int]]
    skipped: List[Dict[str, str]]


def load_split(data: str, val: Optional[str], val_fraction: float, seed: int) -> Split:
    """Train and validation items as `vp-studio train --data DATA [--val VAL]` chooses them."""
    main = scan_folder(data)
    pairs = list(zip(main.paths, main.labels))
    if val:
        v = scan_folder(val)
        if v.classes != main.classes:
            raise ValueError(f"--val {val} has classes {v.classes} but --data has {main.classes}")
        return Split(main.classes, pairs, list(zip(v.paths, v.labels)), main.skipped + v.skipped)
    if main.is_split:
        has_val = "val" in main.splits
        want = "val" if has_val else "test"
        return Split(main.classes, [p for p, s in zip(pairs, main.splits) if s == "train"],
                     [p for p, s in zip(pairs, main.splits) if s == want], main.skipped)
    tr, va = stratified_split(main.labels, val_fraction, seed)
    return Split(main.classes, [pairs[i] for i in tr], [pairs[i] for i in va], main.skipped)


def decode(path: str) -> torch.Tensor:
    """[3,H,W] float in [0,1] (EXIF orientation applied, alpha dropped, first frame)."""
    from PIL import Image, ImageOps
    with Image.open(path) as im:
        im.seek(0)
        im = ImageOps.exif_transpose(im).convert("RGB")
        t = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).reshape(im.height, im.width, 3)
    return t.permute(2, 0, 1).float() / 255.0


def resize(img: torch.Tensor, size: int) -> torch.Tensor:
    if img.shape[1] == size and img.shape[2] == size:
        return img
    return F.interpolate(img[None], size=(size, size), mode="bilinear", align_corners=False, antialias=True)[0]


def augment_size(L: int) -> int:
    return (L * 9) // 8


@dataclass
class Draw:
    """One image of a batch: its index and LoR-VP's random crop and flip (None without augmentation)."""
    index: int
    crop: Optional[Tuple[int, int, bool]]


def draw_epoch(rng: Rng, n: int, batch: int, shuffle: bool, augment: bool, L: int) -> List[List[Draw]]:
    """An epoch's batches with their augmentation draws, consuming `rng` exactly as the studio's trainer does:
    the shuffle first, then per image in batch order top = int(S−L+1), left = int(S−L+1), flip = next() < 0.5."""
    from .rng import epoch_order
    order = epoch_order(rng, n, shuffle)
    span = augment_size(L) - L + 1
    out = []
    for k in range(0, n, batch):
        row = []
        for i in order[k:k + batch]:
            crop = None
            if augment:
                top = rng.int(span)
                left = rng.int(span)
                crop = (top, left, rng.next() < 0.5)
            row.append(Draw(i, crop))
        out.append(row)
    return out


class ImageCache:
    """Decoded, resized images by (path, size), kept in memory up to a budget (as the studio's loader)."""

    def __init__(self, budget_bytes: int = 512 * 2 ** 20) -> None:
        self.budget, self.used, self.cache = budget_bytes, 0, {}

    def get(self, path: str, size: int) -> torch.Tensor:
        key = (path, size)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        img = resize(decode(path), size)
        if self.used + img.numel() * 4 <= self.budget:
            self.cache[key] = img
            self.used += img.numel() * 4
        return img


def load_batch(items: Sequence[Tuple[str, int]], draws: Sequence[Draw], L: int, cache: ImageCache) -> torch.Tensor:
    out = torch.empty(len(draws), 3, L, L)
    for j, d in enumerate(draws):
        path = items[d.index][0]
        if d.crop is None:
            out[j] = cache.get(path, L)
        else:
            top, left, flip = d.crop
            img = cache.get(path, augment_size(L))[:, top:top + L, left:left + L]
            out[j] = img.flip(2) if flip else img
    return out
