"""Writing a run directory in the studio's formats (src/cli/run-files.ts): metrics.jsonl, prompt.safetensors,
manifest.json, and the per-epoch checkpoint (checkpoint.safetensors carrying checkpoint.json in its metadata under
`vp-studio-checkpoint`, optimiser state as `state.<tensor>.buf|m|v`) that `vp-studio train --resume` reads — and
reading that checkpoint back, whichever side wrote it."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Tuple

import torch

from .safetensors_io import read_safetensors, write_safetensors

CHECKPOINT_KEY = "vp-studio-checkpoint"
IMAGENET_MEAN, IMAGENET_STD = "0.485,0.456,0.406", "0.229,0.224,0.225"


def _js(x: float) -> str:
    """A number as JavaScript's String() writes it (1e-4 → '0.0001', 2.0 → '2')."""
    if float(x).is_integer() and abs(x) < 1e21:
        return str(int(x))
    return repr(float(x))


def flags_from_settings(s: Dict[str, Any], model: str, data: str, val: Optional[str], out: str, input_size: int) -> Dict[str, Any]:
    """The CLI's TrainFlags (strings) of a configuration, as checkpoint.json stores them."""
    keys = {"rank": "rank", "padWidth": "padWidth", "tokens": "tokens", "mappingFreq": "mappingFreq", "epochs": "epochs",
            "batchSize": "batchSize", "lr": "lr", "momentum": "momentum", "weightDecay": "weightDecay", "warmup": "warmup",
            "seed": "seed", "valFraction": "valFraction", "microBatch": "microBatch"}
    f: Dict[str, Any] = {k: _js(s[v]) for k, v in keys.items()}
    f.update(method=s["method"], head=s["head"], init=s["init"], optimizer=s["optimizer"], scheduler=s["scheduler"],
             shuffle=bool(s["shuffle"]), augment=bool(s["augment"]), model=model, data=data, out=out,
             mean=",".join(_js(v) for v in s["mean"]), std=",".join(_js(v) for v in s["std"]), inputSize=str(input_size))
    if s.get("promptLr"):
        f["promptLr"] = _js(s["promptLr"])
    if val:
        f["val"] = val
    return f


def settings_from_flags(f: Dict[str, Any]) -> Dict[str, Any]:
    """The CLI's configFromFlags: TrainFlags (strings) → TrainConfig."""
    num = lambda k, d: float(f.get(k, d))  # noqa: E731
    as_num = lambda v: int(v) if float(v).is_integer() else float(v)  # noqa: E731
    return {
        "method": f.get("method", "lorvp"), "head": f.get("head", "lp"), "rank": as_num(num("rank", 4)), "init": f.get("init", "zero,normal"),
        "padWidth": as_num(num("padWidth", 30)), "tokens": as_num(num("tokens", 5)), "mappingFreq": as_num(num("mappingFreq", 1)),
        "epochs": as_num(num("epochs", 20)), "batchSize": as_num(num("batchSize", 32)), "lr": num("lr", 0.02),
        "promptLr": num("promptLr", 0) if f.get("promptLr") is not None else 0, "optimizer": f.get("optimizer", "sgd"),
        "momentum": num("momentum", 0.9), "weightDecay": num("weightDecay", 1e-4), "scheduler": f.get("scheduler", "cosine"),
        "warmup": as_num(num("warmup", 0)), "mean": [float(v) for v in (f.get("mean") or IMAGENET_MEAN).split(",")],
        "std": [float(v) for v in (f.get("std") or IMAGENET_STD).split(",")], "seed": as_num(num("seed", 0)),
        "shuffle": bool(f.get("shuffle", True)), "augment": bool(f.get("augment", True)),
        "valFraction": num("valFraction", 0.2), "microBatch": as_num(num("microBatch", 0)),
    }


class RunWriter:
    def __init__(self, run_dir: str, keep_epochs: Optional[int] = None) -> None:
        self.dir = run_dir
        os.makedirs(run_dir, exist_ok=True)
        path = os.path.join(run_dir, "metrics.jsonl")
        kept: List[str] = []
        if keep_epochs is not None and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        if line.strip() and json.loads(line)["epoch"] < keep_epochs:
                            kept.append(line.rstrip("\n") + "\n")
                    except (ValueError, KeyError):
                        pass  # a torn last line
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(kept)

    def metric(self, obj: Dict[str, Any]) -> None:
        with open(os.path.join(self.dir, "metrics.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def tensors(self, tensors: Dict[str, torch.Tensor], meta: Dict[str, str]) -> None:
        write_safetensors(os.path.join(self.dir, "prompt.safetensors"), tensors, meta)

    def checkpoint(self, tensors: Dict[str, torch.Tensor], meta: Dict[str, Any]) -> None:
        body = json.dumps(meta, separators=(",", ":"))
        write_safetensors(os.path.join(self.dir, "checkpoint.safetensors"), tensors, {CHECKPOINT_KEY: body})
        tmp = os.path.join(self.dir, "checkpoint.json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(body + "\n")
        os.replace(tmp, os.path.join(self.dir, "checkpoint.json"))

    def manifest(self, m: Dict[str, Any]) -> None:
        with open(os.path.join(self.dir, "manifest.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(m, indent=2) + "\n")


def read_checkpoint(run_dir: str) -> Tuple[Dict[str, Any], Dict[str, torch.Tensor]]:
    """(checkpoint.json's contents, tensors incl. state.* and mapping) of a run written by either side."""
    tp, jp = os.path.join(run_dir, "checkpoint.safetensors"), os.path.join(run_dir, "checkpoint.json")
    if not os.path.exists(tp):
        raise ValueError(f"--resume {run_dir}: no checkpoint.safetensors (a run writes one after every epoch; the studio exports it from Results)")
    tensors, meta = read_safetensors(tp)
    if CHECKPOINT_KEY in meta:  # the checkpoint's own copy of checkpoint.json (always of the same epoch)
        body = json.loads(meta[CHECKPOINT_KEY])
    elif os.path.exists(jp):  # files older than that
        with open(jp, encoding="utf-8") as f:
            body = json.load(f)
    else:
        raise ValueError(f"{tp}: no '{CHECKPOINT_KEY}' metadata - not a checkpoint written by vp-studio")
    return body, tensors


def check_same_data(run: str, meta: Dict[str, Any], classes: List[str], train: int, val: int) -> None:
    """Refuses to continue a checkpoint on other classes or another number of images (src/engine/checkpoint-file.ts)."""
    if meta.get("classes") is not None and list(meta["classes"]) != list(classes):
        raise ValueError(f"{run}: the run was trained on the classes {', '.join(meta['classes'])}; this data has {', '.join(classes)}")
    d = meta.get("data")
    if d is not None and (int(d["train"]) != train or int(d["val"]) != val):
        raise ValueError(f"{run}: the run was trained on {d['train']} training / {d['val']} validation images; this data gives {train} / {val} - continue it on the same images")
