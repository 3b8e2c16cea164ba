"""`apply(model, run)`: the user's own backbone wrapped with a run's prompt and head."""
from __future__ import annotations

from typing import Dict, Union

import torch
import torch.nn as nn

from .families import Backbone, wrap_backbone
from .prompted import PromptedModel
from .run import Run, RunError, load_run


def check_fit(bb: Backbone, method: str, head: str, tensors: Dict[str, torch.Tensor], where: str) -> None:
    """One line when the run's tensors cannot belong to this backbone."""
    if method in ("vpt", "vpt-deep"):
        if bb.vit is None:
            raise RunError(f"{where}: {method} needs a ViT backbone, but this model looks like a {bb.family}")
        t = tensors["prompt.tokens"]
        if t.shape[1] != bb.vit.width:
            raise RunError(f"{where}: prompt.tokens has width {t.shape[1]} but the backbone's tokens have {bb.vit.width}")
        deep = tensors.get("prompt.deep")
        if method == "vpt-deep" and bb.depth > 1 and (deep is None or deep.shape[0] != bb.depth - 1 or deep.shape[2] != bb.vit.width):
            got = None if deep is None else list(deep.shape)
            raise RunError(f"{where}: prompt.deep is {got} but a {bb.depth}-block ViT of width {bb.vit.width} needs [{bb.depth - 1},{t.shape[0]},{bb.vit.width}]")
    if head == "lp":
        if bb.classifier is None and bb.features_of_output is None:
            raise RunError(f"{where}: head lp needs the penultimate features, but no final nn.Linear was found in this {bb.family}")
        w = tensors["head.weight"].shape[1]
        if w != bb.feature_width:
            raise RunError(f"{where}: head.weight reads {w} features but this {bb.family} backbone gives {bb.feature_width}")
    else:
        S = bb.num_source_classes
        if S is None:
            raise RunError(f"{where}: head {head} maps the backbone's class scores, but this {bb.family} has no classifier")
        if head == "fm" and tensors["head.weight"].shape[1] != S:
            raise RunError(f"{where}: head.weight reads {tensors['head.weight'].shape[1]} source classes but the backbone has {S}")
        if head in ("flm", "ilm") and int(tensors["mapping"].max()) >= S:
            raise RunError(f"{where}: mapping names source class {int(tensors['mapping'].max())} but the backbone has {S}")


def apply(model: nn.Module, run: Union[str, Run], *, family: str = "auto") -> PromptedModel:
    """Wraps `model` (frozen, eval mode) with the run's prompt and head. The result takes what the run's
    model.onnx takes — images [N,3,L,L] in [0,1] at the run's input size — and returns its class scores [N,C]."""
    r = load_run(run) if isinstance(run, str) else run
    bb = wrap_backbone(model, family)
    where = r.dir or "run"
    check_fit(bb, r.method, r.head, r.tensors, where)
    wrapped = PromptedModel(bb, r.method, r.head, r.tensors, r.classes, r.mean, r.std, r.input_size)
    return wrapped.eval()
