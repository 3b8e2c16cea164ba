"""How a user's own PyTorch backbone is reached, per family — by its public structure (duck typing), so timm and
transformers need not be installed to be supported:

| family             | recognised by                                   | lp features (input of)          | VPT token sequence             |
|--------------------|-------------------------------------------------|---------------------------------|--------------------------------|
| torchvision-resnet | `layer1`…`layer4` + `fc` (also timm ResNets)    | `fc`                            | —                              |
| torchvision-vit    | `encoder.layers` + `class_token` + `heads`      | `heads.head` (final-LN CLS)     | pre-hooks on `encoder.layers[i]` |
| torchvision-swin   | `features` + `permute` + `head`                 | `head`                          | —                              |
| timm-vit           | `patch_embed` + `blocks` + `head`               | `head` (after `fc_norm`/pooling) | pre-hooks on `blocks[i]`, after `num_prefix_tokens` |
| timm-swin          | `patch_embed` + `layers` + `head(.fc)`          | `head.fc` (or `head`)           | —                              |
| hf-vit             | `vit.encoder.layer` + `classifier` (ViTForImageClassification) | `classifier` (final-LN CLS) | pre-hooks on `vit.encoder.layer[i]` (hidden_states, args[0]) |
| hf-vit-model       | `embeddings` + `encoder.layer` (ViTModel)       | `last_hidden_state[:, 0]` (final-LN CLS) | pre-hooks on `encoder.layer[i]` |
| cnn                | anything else ending in an `nn.Linear`          | the last `nn.Linear`            | —                              |

VPT's prompts enter as forward pre-hooks on the model's own blocks: before block 0 they are inserted after the
prefix tokens (CLS, distillation, registers), after the position embedding; before block i ≥ 1 (VPT-deep) the
prompt positions are replaced by block i's tokens — exactly where the studio splices them into the ONNX graph."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn as nn

FAMILIES = ("auto", "torchvision-resnet", "torchvision-vit", "torchvision-swin", "timm-vit", "timm-swin", "hf-vit",
            "hf-vit-model", "cnn")


@dataclass
class VitParts:
    blocks: List[nn.Module]
    prefix: int
    width: int
    patch: Tuple[int, int]


@dataclass
class Backbone:
    """A frozen user model and where its pieces are."""
    module: nn.Module
    family: str
    kind: str  # the studio's family: vit, swin, resnet, cnn
    classifier: Optional[nn.Linear]
    vit: Optional[VitParts]
    #: features for lp when there is no classifier to hook (feature extractors): output -> [N, D]
    features_of_output: Optional[Callable[[object], torch.Tensor]] = None

    @property
    def feature_width(self) -> int:
        if self.classifier is not None:
            return self.classifier.in_features
        assert self.vit is not None
        return self.vit.width

    @property
    def num_source_classes(self) -> Optional[int]:
        return self.classifier.out_features if self.classifier is not None and self.features_of_output is None else None

    @property
    def depth(self) -> int:
        return len(self.vit.blocks) if self.vit else 0


def source_logits(out: object) -> torch.Tensor:
    """The class scores of a model's output: a tensor, or a transformers ModelOutput's `.logits`."""
    if isinstance(out, torch.Tensor):
        return out
    logits = getattr(out, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    raise TypeError(f"the backbone returned {type(out).__name__}, not class scores (a tensor or an object with .logits)")


def _pair(p) -> Tuple[int, int]:
    if isinstance(p, (tuple, list)):
        return int(p[0]), int(p[1])
    return int(p), int(p)


def _last_linear(m: nn.Module) -> Optional[nn.Linear]:
    found = None
    for mod in m.modules():
        if isinstance(mod, nn.Linear):
            found = mod
    return found


def detect(m: nn.Module) -> str:
    has = lambda *names: all(hasattr(m, n) for n in names)  # noqa: E731
    if has("encoder", "class_token", "heads") and hasattr(m.encoder, "layers"):
        return "torchvision-vit"
    if has("vit", "classifier") and hasattr(m.vit, "encoder") and hasattr(m.vit.encoder, "layer"):
        return "hf-vit"
    if has("embeddings", "encoder") and hasattr(m.encoder, "layer"):
        return "hf-vit-model"
    if has("patch_embed", "blocks", "head"):
        return "timm-vit"
    if has("patch_embed", "layers", "head"):
        return "timm-swin"
    if has("features", "permute", "head"):
        return "torchvision-swin"
    if has("layer1", "layer4", "fc"):
        return "torchvision-resnet"
    return "cnn"


def wrap_backbone(m: nn.Module, family: str = "auto") -> Backbone:
    """Recognises the family (or takes the one named) and freezes the model in eval mode."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family '{family}' (choose from {', '.join(FAMILIES)})")
    fam = detect(m) if family == "auto" else family
    m.eval()
    for p in m.parameters():
        p.requires_grad_(False)
    if fam == "torchvision-resnet":
        return Backbone(m, fam, "resnet", m.fc, None)
    if fam == "torchvision-vit":
        vit = VitParts(list(m.encoder.layers), 1, int(m.hidden_dim), _pair(m.patch_size))
        return Backbone(m, fam, "vit", m.heads.head if hasattr(m.heads, "head") else _last_linear(m.heads), vit)
    if fam == "timm-vit":
        prefix = int(getattr(m, "num_prefix_tokens", 1 if getattr(m, "cls_token", None) is not None else 0))
        width = int(getattr(m, "embed_dim", getattr(m, "num_features", 0)))
        patch = _pair(getattr(m.patch_embed, "patch_size", m.patch_embed.proj.kernel_size))
        head = m.head if isinstance(m.head, nn.Linear) else _last_linear(m.head)
        return Backbone(m, fam, "vit", head, VitParts(list(m.blocks), prefix, width, patch))
    if fam in ("hf-vit", "hf-vit-model"):
        core = m.vit if fam == "hf-vit" else m
        cfg = core.config
        vit = VitParts(list(core.encoder.layer), 1, int(cfg.hidden_size), _pair(cfg.patch_size))
        if fam == "hf-vit":
            return Backbone(m, fam, "vit", m.classifier, vit)
        return Backbone(m, fam, "vit", None, vit, features_of_output=lambda out: out.last_hidden_state[:, 0])
    if fam in ("timm-swin", "torchvision-swin"):
        head = m.head if isinstance(m.head, nn.Linear) else getattr(m.head, "fc", None) or _last_linear(m.head)
        return Backbone(m, fam, "swin", head, None)
    return Backbone(m, fam, "cnn", _last_linear(m), None)
