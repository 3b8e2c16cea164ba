"""The prompted model: prompt (LoR-VP, pad, VPT, VPT-deep) → normalisation → the user's frozen backbone → head
(lp, fm, flm, ilm), computing what the run's exported model.onnx computes (docs/METHODS.md):
images [N,3,L,L] in [0,1] → class scores [N,C]. Its trainable parameters are named as in prompt.safetensors
(`prompt.B`, `head.weight`, …), so `trainable_tensors()` is that file's contents."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .families import Backbone, source_logits

PAD_NAMES = ("pad_up", "pad_down", "pad_left", "pad_right")


class Prompt(nn.Module):
    """Holds the prompt's tensors as parameters under their safetensors names (without the `prompt.` prefix)."""

    def __init__(self, method: str, tensors: Dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.method = method
        for name, t in tensors.items():
            self.register_parameter(name, nn.Parameter(t.detach().clone().float()))

    def pixels(self, x: torch.Tensor) -> torch.Tensor:
        """LoR-VP: x + B·A (per channel), in [0,1] pixel space before normalisation."""
        return x + torch.matmul(self.B, self.A) if self.method == "lorvp" else x

    def frame(self, x: torch.Tensor) -> torch.Tensor:
        """Pad: the learned frame, added after normalisation."""
        if self.method != "pad":
            return x
        up, down, left, right = (getattr(self, n) for n in PAD_NAMES)
        centre = up.new_zeros(1, 3, left.shape[2], up.shape[3] - 2 * left.shape[3])
        return x + torch.cat([up, torch.cat([left, centre, right], 3), down], 2)


def _splice(h: torch.Tensor, p: torch.Tensor, k: int, resume: int) -> torch.Tensor:
    return torch.cat([h[:, :k], p.unsqueeze(0).expand(h.shape[0], -1, -1).to(h.dtype), h[:, resume:]], 1)


class PromptedModel(nn.Module):
    def __init__(self, backbone: Backbone, method: str, head: str, tensors: Dict[str, torch.Tensor], classes: Sequence[str],
                 mean: Sequence[float], std: Sequence[float], input_size: int) -> None:
        super().__init__()
        self.bb = backbone
        self.backbone = backbone.module
        self.method, self.head_kind, self.classes, self.input_size = method, head, list(classes), int(input_size)
        self.prompt = Prompt(method, {k[len("prompt."):]: v for k, v in tensors.items() if k.startswith("prompt.")})
        self.head: Optional[nn.Linear] = None
        if head in ("lp", "fm"):
            w = tensors["head.weight"]
            self.head = nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                self.head.weight.copy_(w)
                self.head.bias.copy_(tensors["head.bias"])
        m = tensors.get("mapping")
        self.register_buffer("mapping", (m if m is not None else torch.zeros(0, dtype=torch.int32)).long().clone())
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32).view(1, 3, 1, 1))
        self._active = False
        self._features: Optional[torch.Tensor] = None
        self._hooks: List[torch.utils.hooks.RemovableHandle] = []
        self._install_hooks()

    # --- hooks on the user's modules: active only inside this module's forward
    def _install_hooks(self) -> None:
        if self.head_kind == "lp" and self.bb.classifier is not None and self.bb.features_of_output is None:
            self._hooks.append(self.bb.classifier.register_forward_pre_hook(self._capture))
        if self.method in ("vpt", "vpt-deep"):
            vit = self.bb.vit
            if vit is None:
                raise ValueError(f"{self.method} needs a ViT backbone (token sequence and blocks); this model is a {self.bb.family}")
            self._hooks.append(vit.blocks[0].register_forward_pre_hook(self._insert))
            if self.method == "vpt-deep":
                for i in range(1, len(vit.blocks)):
                    self._hooks.append(vit.blocks[i].register_forward_pre_hook(self._deep_hook(i)))

    def _capture(self, _m: nn.Module, args: tuple) -> None:
        if self._active:
            self._features = args[0]

    def _insert(self, _m: nn.Module, args: tuple):
        if not self._active:
            return None
        k = self.bb.vit.prefix
        return (_splice(args[0], self.prompt.tokens, k, k),) + tuple(args[1:])

    def _deep_hook(self, i: int):
        def hook(_m: nn.Module, args: tuple):
            if not self._active:
                return None
            k, p = self.bb.vit.prefix, self.prompt.tokens.shape[0]
            return (_splice(args[0], self.prompt.deep[i - 1], k, k + p),) + tuple(args[1:])
        return hook

    @contextmanager
    def _running(self) -> Iterator[None]:
        self._active, self._features = True, None
        try:
            yield
        finally:
            self._active = False

    def train(self, mode: bool = True) -> "PromptedModel":
        super().train(mode)
        self.backbone.eval()  # frozen: BatchNorm keeps its running statistics, no dropout
        return self

    def remove_hooks(self) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks.clear()

    # --- forward
    def backbone_outputs(self, images: torch.Tensor):
        """(head input, source logits or None) of a batch: everything before the head."""
        x = self.prompt.pixels(images)
        x = (x - self.mean) / self.std
        x = self.prompt.frame(x)
        with self._running():
            out = self.backbone(x)
            feats = self._features
        if self.head_kind == "lp":
            f = self.bb.features_of_output(out) if self.bb.features_of_output is not None else feats
            if f is None:
                raise RuntimeError(f"the {self.bb.family} backbone never called its classifier: lp features not found")
            return f.reshape(f.shape[0], -1), None
        s = source_logits(out)
        return s, s

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        f, _ = self.backbone_outputs(images)
        if self.head is not None:
            return self.head(f)
        if self.mapping.numel() == 0:
            raise RuntimeError(f"head {self.head_kind} has no label mapping yet")
        return f.index_select(1, self.mapping)

    def source_logits(self, images: torch.Tensor) -> torch.Tensor:
        """The backbone's class scores with the prompt (what label mapping counts)."""
        return self.backbone_outputs(images)[1]

    def trainable_tensors(self) -> Dict[str, torch.Tensor]:
        """The tensors of prompt.safetensors (float32 CPU copies; int32 `mapping` for flm/ilm)."""
        out = {f"prompt.{k}": v.detach().cpu().float().clone() for k, v in self.prompt.named_parameters()}
        if self.head is not None:
            out["head.weight"] = self.head.weight.detach().cpu().clone()
            out["head.bias"] = self.head.bias.detach().cpu().clone()
        if self.mapping.numel():
            out["mapping"] = self.mapping.detach().cpu().to(torch.int32)
        return out

    def named_trainables(self) -> Dict[str, nn.Parameter]:
        """Parameters by their safetensors names."""
        out = {f"prompt.{k}": v for k, v in self.prompt.named_parameters()}
        if self.head is not None:
            out["head.weight"], out["head.bias"] = self.head.weight, self.head.bias
        return out

    def set_mapping(self, mapping: Sequence[int]) -> None:
        self.mapping = torch.as_tensor(list(mapping), dtype=torch.long, device=self.mean.device)
