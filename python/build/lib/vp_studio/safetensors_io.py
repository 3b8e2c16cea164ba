"""safetensors files as the studio writes them: u64 LE header length, JSON header
{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, raw little-endian data.

Uses the `safetensors` package when installed, else a pure-Python reader/writer (same format, same
layout rule as the studio: tensors ordered by element size, largest first, then by name)."""
from __future__ import annotations

import json
import struct
from typing import Dict, Mapping, Optional, Tuple

import torch

_FROM_ST = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64,
            "U8": torch.uint8, "I8": torch.int8, "BOOL": torch.bool, "F16": torch.float16}
_TO_ST = {v: k for k, v in _FROM_ST.items()}

try:  # pragma: no cover - depends on the machine
    from safetensors.torch import load as _st_load  # type: ignore
    from safetensors.torch import save as _st_save  # type: ignore
    HAVE_SAFETENSORS = True
except ImportError:
    HAVE_SAFETENSORS = False


def _header(raw: bytes, path: str) -> Tuple[dict, int]:
    if len(raw) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than its 8-byte header length)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > 100_000_000 or 8 + n > len(raw):
        raise ValueError(f"{path}: not a safetensors file (header length {n} does not fit the file)")
    return json.loads(raw[8:8 + n].decode("utf-8")), 8 + n


def read_safetensors(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """(tensors, metadata) of a file; tensors are CPU tensors of the stored dtype."""
    with open(path, "rb") as f:
        raw = f.read()
    header, base = _header(raw, path)
    metadata = dict(header.pop("__metadata__", None) or {})
    if HAVE_SAFETENSORS:  # pragma: no cover
        return dict(_st_load(raw)), metadata
    out: Dict[str, torch.Tensor] = {}
    for name, meta in header.items():
        dt = _FROM_ST.get(meta["dtype"])
        if dt is None:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {meta['dtype']}")
        a, b = meta["data_offsets"]
        buf = bytearray(raw[base + a:base + b])
        t = torch.frombuffer(buf, dtype=dt) if buf else torch.empty(0, dtype=dt)
        out[name] = t.reshape(meta["shape"]).clone()
    return out, metadata


def safetensors_bytes(tensors: Mapping[str, torch.Tensor], metadata: Optional[Mapping[str, str]] = None) -> bytes:
    """The file's bytes; deterministic (the studio's layout: element size descending, then name)."""
    ts = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    if HAVE_SAFETENSORS:  # pragma: no cover
        return _st_save(ts, metadata=dict(metadata) if metadata is not None else None)
    names = sorted(ts, key=lambda k: (-ts[k].element_size(), k))
    parts = []
    if metadata is not None:
        parts.append('"__metadata__":' + json.dumps(dict(metadata), separators=(",", ":"), ensure_ascii=False))
    blobs, offset = [], 0
    for name in names:
        t = ts[name]
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        entry = {"dtype": _TO_ST[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        parts.append(json.dumps(name) + ":" + json.dumps(entry, separators=(",", ":")))
        blobs.append(data)
        offset += len(data)
    header = ("{" + ",".join(parts) + "}").encode("utf-8")
    header += b" " * ((-len(header)) % 8)
    return struct.pack("<Q", len(header)) + header + b"".join(blobs)


def write_safetensors(path: str, tensors: Mapping[str, torch.Tensor], metadata: Optional[Mapping[str, str]] = None) -> None:
    """Writes through a temporary file and a rename (a killed process never leaves a torn file)."""
    import os
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(safetensors_bytes(tensors, metadata))
    os.replace(tmp, path)
