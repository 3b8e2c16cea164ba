"""The studio's seeded randomness, bit for bit (src/data/rng.ts, src/data/split.ts): xoshiro128** seeded
through splitmix32, the trainer's epoch shuffle, and the seeded stratified train/validation split — so a run
here draws the same initial tensors, split, order and augmentation as the same run in the studio."""
from __future__ import annotations

import math
from typing import Dict, List, Sequence, Tuple, Union

M32 = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def mix32(x: int) -> int:
    """splitmix32 finaliser of one 32-bit word."""
    x = (x + 0x9E3779B9) & M32
    x = _imul(x ^ (x >> 16), 0x21F0AAAD)
    x = _imul(x ^ (x >> 15), 0x735A2D97)
    return (x ^ (x >> 15)) & M32


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & M32


def seed_word(seed: Union[int, str]) -> int:
    if isinstance(seed, str):
        units = seed.encode("utf-16-le")
        codes = [units[i] | (units[i + 1] << 8) for i in range(0, len(units), 2)]
        h = mix32(len(codes))
        for c in codes:
            h = mix32(h ^ c)
        return h
    if not isinstance(seed, int) or abs(seed) > 2 ** 53 - 1:
        raise ValueError(f"rng seed must be a safe integer or a string, got {seed!r}")
    return mix32((seed & M32) ^ mix32((seed >> 32) & M32))


def seed_for(seed: Union[int, str], *parts: Union[int, str]) -> int:
    h = seed_word(seed)
    for p in parts:
        h = mix32(h ^ seed_word(p))
    return h


def _signed(w: int) -> int:
    return w - 0x100000000 if w & 0x80000000 else w


class Rng:
    """xoshiro128** 1.0; `state()` is the 4-word state the studio's checkpoints store."""

    def __init__(self, seed: Union[int, str]) -> None:
        x = seed_word(seed)
        words = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            words.append(mix32(x))
        self._set(words)

    @classmethod
    def from_state(cls, state: Sequence[int]) -> "Rng":
        r = cls(0)
        r._set(state)
        return r

    def _set(self, s: Sequence[int]) -> None:
        if len(s) != 4 or all((w & M32) == 0 for w in s):
            raise ValueError("rng state must be 4 words, not all zero")
        self.s = [int(w) & M32 for w in s]

    def state(self) -> List[int]:
        """As the studio writes it (JavaScript int32 words)."""
        return [_signed(w) for w in self.s]

    def next_u32(self) -> int:
        s0, s1, s2, s3 = self.s
        result = _imul(_rotl(_imul(s1, 5), 7), 9)
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def next(self) -> float:
        return self.next_u32() / 4294967296.0

    def int(self, n: int) -> int:
        limit = 4294967296 - (4294967296 % n)
        x = self.next_u32()
        while x >= limit:
            x = self.next_u32()
        return x % n

    def normal(self) -> float:
        u1 = 1.0 - self.next()
        u2 = self.next()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def shuffle(self, a: List) -> List:
        for i in range(len(a) - 1, 0, -1):
            j = self.int(i + 1)
            a[i], a[j] = a[j], a[i]
        return a


def epoch_order(rng: Rng, n: int, shuffle: bool) -> List[int]:
    """The trainer's per-epoch order (src/engine/trainer.ts): Fisher–Yates with floor(next()·(i+1))."""
    order = list(range(n))
    if shuffle:
        for i in range(n - 1, 0, -1):
            j = int(math.floor(rng.next() * (i + 1)))
            order[i], order[j] = order[j], order[i]
    return order


def val_count(n: int, frac: float) -> int:
    if frac == 0 or n < 2:
        return 0
    # JavaScript Math.round: half rounds up
    return min(n - 1, max(1, int(math.floor(n * frac + 0.5))))


def stratified_split(labels: Sequence[int], val_fraction: float, seed: Union[int, str]) -> Tuple[List[int], List[int]]:
    """(train, val) index lists, ascending, as src/data/split.ts draws them."""
    if not 0 <= val_fraction < 1:
        raise ValueError(f"validation fraction must be in [0, 1), got {val_fraction}")
    by_class: Dict[int, List[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    rng = Rng(seed_for(seed, "split"))
    train: List[int] = []
    val: List[int] = []
    for label in sorted(by_class):
        idx = rng.shuffle(by_class[label])
        k = val_count(len(idx), val_fraction)
        val += idx[:k]
        train += idx[k:]
    return sorted(train), sorted(val)
