"""`--model SPEC` → a PyTorch nn.Module:
  torchvision:NAME[@STATE_DICT.pt]   torchvision.models.NAME() (random weights unless a state dict is given)
  timm:NAME[@STATE_DICT.pt]          timm.create_model(NAME, pretrained=<no state dict given>) — when timm is installed
  hf:PATH                            transformers AutoModelForImageClassification.from_pretrained(PATH) — when installed
  package.module:callable[@STATE_DICT.pt]   any callable returning an nn.Module"""
from __future__ import annotations

import importlib
from typing import Optional, Tuple

import torch
import torch.nn as nn


def _split(spec: str) -> Tuple[str, str, Optional[str]]:
    if ":" not in spec:
        raise ValueError(f"--model {spec}: expected torchvision:NAME, timm:NAME, hf:PATH or package.module:callable")
    kind, rest = spec.split(":", 1)
    name, _, state = rest.partition("@")
    return kind, name, state or None


def load_model(spec: str) -> nn.Module:
    kind, name, state = _split(spec)
    if kind == "torchvision":
        import torchvision.models as tvm
        if not hasattr(tvm, name):
            raise ValueError(f"--model {spec}: torchvision.models has no '{name}'")
        m = getattr(tvm, name)()
    elif kind == "timm":
        try:
            import timm  # type: ignore
        except ImportError as e:
            raise ValueError(f"--model {spec}: timm is not installed (pip install timm)") from e
        m = timm.create_model(name, pretrained=state is None)
    elif kind == "hf":
        try:
            from transformers import AutoModelForImageClassification  # type: ignore
        except ImportError as e:
            raise ValueError(f"--model {spec}: transformers is not installed (pip install transformers)") from e
        m = AutoModelForImageClassification.from_pretrained(name)
    else:
        try:
            fn = getattr(importlib.import_module(kind), name)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"--model {spec}: cannot import {kind}:{name} ({e})") from e
        m = fn()
        if not isinstance(m, nn.Module):
            raise ValueError(f"--model {spec}: {kind}:{name}() returned {type(m).__name__}, not an nn.Module")
    if state:
        m.load_state_dict(torch.load(state, map_location="cpu"))
    return m.eval()
