"""python -m vp_studio.train --like RUN_DIR --model SPEC --data DIR --out OUT [--epochs N] [--device cpu|cuda]
python -m vp_studio.train --resume RUN_DIR --model SPEC

Trains a studio run's configuration (method, head, optimiser, schedule, seed, split, data order, augmentation) on a
PyTorch model, in one process or under `torchrun --nproc_per_node=N` (DistributedDataParallel: gloo on CPU, NCCL on
GPUs). Every process draws the same global batch from the same seeded stream and takes its share (rows r, r+N, …);
each computes Σ CE of its rows / global batch size, so DDP's averaged gradient ×N is the single-process gradient.
Writes metrics.jsonl, prompt.safetensors, manifest.json, a per-epoch checkpoint and model.onnx in the studio's
formats; `--resume` continues a checkpoint written by either side."""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.distributed as dist
import torch.nn.functional as F

from .data import Draw, ImageCache, draw_epoch, load_batch, load_split
from .families import wrap_backbone
from .init import greedy_mapping, initial_tensors
from .models import load_model
from .prompted import PromptedModel
from .rng import Rng
from .runfiles import RunWriter, check_same_data, flags_from_settings, read_checkpoint, settings_from_flags

EVAL_BATCH = 32


def lr_at(s: Dict[str, Any], t: int, total: int) -> float:
    """src/engine/config.ts lrAt: linear warm-up, then cosine / multistep / constant over the remaining steps."""
    lr, w = float(s["lr"]), min(int(s["warmup"]), total)
    if t < w:
        return lr * (t + 1) / w
    tt, T = t - w, total - w
    if s["scheduler"] == "constant":
        return lr
    if s["scheduler"] == "multistep":
        return lr * (0.01 if tt >= math.floor(0.72 * T) else 0.1 if tt >= math.floor(0.5 * T) else 1)
    return lr if T <= 0 else lr * 0.5 * (1 + math.cos(math.pi * tt / T))


class Dist:
    def __init__(self, device: str) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = torch.device(f"cuda:{local}" if device == "cuda" else "cpu")
        if device == "cuda":
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group("nccl" if device == "cuda" else "gloo")

    def sum(self, values: Sequence[float]) -> List[float]:
        t = torch.tensor(list(values), dtype=torch.float64, device=self.device)
        if self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def mine(self, rows: Sequence) -> List:
        return list(rows[self.rank::self.world])


def make_optimizer(s: Dict[str, Any], named: Dict[str, torch.nn.Parameter]) -> torch.optim.Optimizer:
    scale = float(s["promptLr"]) / float(s["lr"]) if float(s.get("promptLr") or 0) > 0 else 1.0
    groups = [{"params": [p for k, p in named.items() if k.startswith("prompt.")], "scale": scale},
              {"params": [p for k, p in named.items() if not k.startswith("prompt.")], "scale": 1.0}]
    groups = [g for g in groups if g["params"]]
    if s["optimizer"] == "adamw":
        return torch.optim.AdamW(groups, lr=float(s["lr"]), betas=(0.9, 0.999), eps=1e-8, weight_decay=float(s["weightDecay"]))
    if s["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=float(s["lr"]), momentum=float(s["momentum"]), weight_decay=float(s["weightDecay"]))
    raise ValueError(f"unknown optimizer \"{s['optimizer']}\" (choose sgd or adamw)")


def load_optimizer_state(opt: torch.optim.Optimizer, named: Dict[str, torch.nn.Parameter], ck: Dict[str, torch.Tensor], step: int) -> None:
    """The studio's `state.<name>.buf|m|v` into torch's optimiser state (AdamW's step count = steps taken)."""
    for name, p in named.items():
        if f"state.{name}.m" in ck:
            opt.state[p] = {"step": torch.tensor(float(step)), "exp_avg": ck[f"state.{name}.m"].to(p.device).clone(),
                            "exp_avg_sq": ck[f"state.{name}.v"].to(p.device).clone()}
        elif f"state.{name}.buf" in ck and step > 0:
            opt.state[p] = {"momentum_buffer": ck[f"state.{name}.buf"].to(p.device).clone()}


def optimizer_tensors(s: Dict[str, Any], opt: torch.optim.Optimizer, named: Dict[str, torch.nn.Parameter]) -> Dict[str, torch.Tensor]:
    out = {}
    for name, p in named.items():
        st = opt.state.get(p, {})
        zero = lambda: torch.zeros_like(p, device="cpu")  # noqa: E731
        if s["optimizer"] == "adamw":
            out[f"state.{name}.m"] = st["exp_avg"].detach().cpu() if "exp_avg" in st else zero()
            out[f"state.{name}.v"] = st["exp_avg_sq"].detach().cpu() if "exp_avg_sq" in st else zero()
        elif float(s["momentum"]) != 0:
            buf = st.get("momentum_buffer")
            out[f"state.{name}.buf"] = buf.detach().cpu() if buf is not None else zero()
    return out


def evaluate(model: PromptedModel, items: Sequence[Tuple[str, int]], L: int, cache: ImageCache, d: Dist, source: bool) -> Tuple[torch.Tensor, List[int]]:
    """Logits (or source logits) of this process's share of `items` (rows rank, rank+N, …) and their labels."""
    idx = d.mine(range(len(items)))
    outs, labels = [], []
    model.eval()
    with torch.no_grad():
        for k in range(0, len(idx), EVAL_BATCH):
            part = idx[k:k + EVAL_BATCH]
            x = load_batch(items, [Draw(i, None) for i in part], L, cache).to(d.device)
            outs.append((model.source_logits(x) if source else model(x)).float().cpu())
            labels += [items[i][1] for i in part]
    return (torch.cat(outs) if outs else torch.zeros(0, 0)), labels


def compute_mapping(model: PromptedModel, items, L: int, cache: ImageCache, d: Dist, C: int) -> List[int]:
    s, labels = evaluate(model, items, L, cache, d, source=True)
    S = model.bb.num_source_classes
    counts = torch.zeros(S * C, dtype=torch.float64)
    for row, y in zip(s.argmax(1).tolist() if len(labels) else [], labels):
        counts[row * C + y] += 1
    return greedy_mapping(torch.tensor(d.sum(counts.tolist())).reshape(S, C))


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_onnx(module: torch.nn.Module, path: str, L: int, device: torch.device, names: Tuple[str, str]) -> None:
    """opset 17, dynamic batch; parameters require grad while exporting (no fused attention fast path)."""
    import warnings
    req = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in req:
        p.requires_grad_(True)
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.rand(1, 3, L, L, device=device),), path, input_names=[names[0]], output_names=[names[1]],
                          opset_version=17, do_constant_folding=True, dynamic_axes={names[0]: {0: "batch"}, names[1]: {0: "batch"}})
    for p, r in req:
        p.requires_grad_(r)


class _Logits(torch.nn.Module):
    def __init__(self, m: torch.nn.Module) -> None:
        super().__init__()
        self.m = m

    def forward(self, x):
        from .families import source_logits
        return source_logits(self.m(x))


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m vp_studio.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--like", help="a run directory whose manifest's configuration to train")
    ap.add_argument("--resume", help="continue this run directory from its last checkpoint (written by the studio, the CLI or here)")
    ap.add_argument("--model", help="torchvision:NAME[@sd.pt], timm:NAME, hf:PATH or package.module:callable")
    ap.add_argument("--family", default="auto")
    ap.add_argument("--data")
    ap.add_argument("--val")
    ap.add_argument("--out")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--onnx", help="the ONNX export of --model to record as the run's backbone (default: export it to OUT/backbone.onnx)")
    ap.add_argument("--no-export", action="store_true", help="write no backbone.onnx / model.onnx")
    ap.add_argument("--stop-after", type=int, help="stop after this many epochs (of --epochs), leaving the checkpoint to --resume later: a job's time slot")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    a = parse_args(argv)
    try:
        return train(a)
    except (ValueError, OSError) as e:
        print(f"vp_studio.train: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1


def train(a: argparse.Namespace) -> int:
    resume_meta, ck = (read_checkpoint(a.resume) if a.resume else (None, {}))
    if resume_meta:
        flags = resume_meta["flags"]
        s = settings_from_flags(flags)
        out, data, val = a.resume, a.data or flags["data"], a.val or flags.get("val")
        spec, onnx_path, L = a.model or flags.get("torchModel"), a.onnx or flags.get("model"), int(flags["inputSize"])
    else:
        if not (a.like and a.data and a.out):
            raise ValueError("train needs --like RUN_DIR --data DIR --out OUT (or --resume RUN_DIR)")
        with open(os.path.join(a.like, "manifest.json"), encoding="utf-8") as f:
            like = json.load(f)
        s = dict(like["settings"])
        s["mean"], s["std"] = like["preprocessing"]["mean"], like["preprocessing"]["std"]
        out, data, val, spec, onnx_path, L = a.out, a.data, a.val, a.model, a.onnx, int(like["preprocessing"]["inputSize"])
    if not spec:
        raise ValueError("train needs --model SPEC (the PyTorch model of this run's backbone)")
    if a.epochs:
        s["epochs"] = a.epochs
    d = Dist(a.device)
    log = (lambda m: print(m, file=sys.stderr)) if (d.rank == 0 and not a.quiet) else (lambda m: None)  # noqa: E731
    torch.manual_seed(0)
    bb = wrap_backbone(load_model(spec), a.family)
    split = load_split(data, val, float(s["valFraction"]), int(s["seed"]))
    C, B = len(split.classes), int(s["batchSize"])
    if resume_meta:
        check_same_data(a.resume, resume_meta, split.classes, len(split.train), len(split.val))
    tensors = initial_tensors(s, bb, L, C)
    if resume_meta:
        tensors = {k: ck.get(k, v) for k, v in tensors.items()}
        if "mapping" in ck:
            tensors["mapping"] = ck["mapping"]
    model = PromptedModel(bb, s["method"], s["head"], tensors, split.classes, s["mean"], s["std"], L).to(d.device)
    named = model.named_trainables()
    if not named:
        raise ValueError(f"method {s['method']} with head {s['head']} has nothing to train")
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[d.device] if a.device == "cuda" else None, broadcast_buffers=False) if d.world > 1 else model
    opt = make_optimizer(s, named)
    t = int(resume_meta["step"]) if resume_meta else 0
    if resume_meta:
        load_optimizer_state(opt, named, ck, t)
    rng = Rng.from_state(resume_meta["rngState"]) if resume_meta else Rng(int(s["seed"]) + 1)
    start = int(resume_meta["epoch"]) if resume_meta else 0
    epochs: List[Dict[str, Any]] = list(resume_meta["epochs"]) if resume_meta else []
    writer = RunWriter(out, start if resume_meta else None) if d.rank == 0 else None
    cache, n = ImageCache(), len(split.train)
    total = math.ceil(n / B) * int(s["epochs"])
    abspath = lambda p: os.path.abspath(p) if p else p  # noqa: E731
    backbone_onnx = abspath(onnx_path) if onnx_path else os.path.abspath(os.path.join(out, "backbone.onnx"))
    if d.rank == 0 and not onnx_path and not a.no_export:
        export_onnx(_Logits(bb.module), backbone_onnx, L, d.device, ("input", "logits"))
    flags = dict(flags_from_settings(s, backbone_onnx, abspath(data), abspath(val), abspath(out), L), torchModel=spec)
    # the backbone's identity: its ONNX file's sha256 where there is one, else what the run recorded (a run the
    # studio exported names a file that is not here; a --no-export run has none)
    was = (resume_meta or {}).get("backbone") or {}
    have = sha256(backbone_onnx) if (onnx_path or d.rank == 0) and os.path.exists(backbone_onnx) else None
    if have and was.get("sha256") and have != was["sha256"]:
        raise ValueError(f"--resume {a.resume}: {backbone_onnx} is not the backbone this run was trained on ({was.get('file')}, sha256 {was['sha256'][:12]}...)")
    identity = {"file": was.get("file") or os.path.basename(backbone_onnx), "sha256": have or was.get("sha256"), "family": bb.kind, "inputSize": L}
    about = {"classes": split.classes, "backbone": identity, "data": {"train": len(split.train), "val": len(split.val)}}
    log(f"{bb.family} backbone ({sum(p.numel() for p in bb.module.parameters()):,} parameters, input {L}×{L}); {C} classes, {n} train / {len(split.val)} val images; {d.world} process(es)")
    t0 = time.time()
    stop = min(int(s["epochs"]), a.stop_after or int(s["epochs"]))
    for epoch in range(start, stop):
        te = time.time()
        if s["head"] in ("flm", "ilm") and (epoch % int(s["mappingFreq"]) == 0 if s["head"] == "ilm" else model.mapping.numel() == 0):
            mp = compute_mapping(model, split.train, L, cache, d, C)
            model.set_mapping(mp)
            if writer:
                writer.metric({"epoch": epoch, "mapping": mp})
        model.train()
        loss_sum = correct = 0.0
        for batch in draw_epoch(rng, n, B, bool(s["shuffle"]), bool(s["augment"]), L):
            m, mine = len(batch), d.mine(batch)
            rows = mine or [batch[0]]  # a process with no rows of a short last batch runs one with weight 0
            x = load_batch(split.train, rows, L, cache).to(d.device)
            y = torch.tensor([split.train[r.index][1] for r in rows], device=d.device)
            w = torch.full((len(rows),), (1.0 / m) if mine else 0.0, device=d.device)
            lr = lr_at(s, t, total)
            for g in opt.param_groups:
                g["lr"] = lr * g["scale"]
            opt.zero_grad()
            logits = net(x)
            ce = F.cross_entropy(logits, y, reduction="none")
            loss = (ce * w).sum()
            (loss * d.world).backward()  # DDP averages over the processes
            for p in named.values():
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
            opt.step()
            real = w > 0
            step_loss, c_sum, ce_sum = d.sum([float(loss), float((logits.argmax(1) == y)[real].sum()), float(ce[real].sum())])
            correct, loss_sum = correct + c_sum, loss_sum + ce_sum
            if writer:
                writer.metric({"step": t, "epoch": epoch, "loss": step_loss, "lr": lr})
            if not math.isfinite(step_loss):
                raise ValueError(f"diverged — lower the learning rate: the loss became {step_loss} at step {t + 1} (epoch {epoch + 1})")
            t += 1
        seconds = time.time() - te
        val_acc = val_loss = None
        if split.val:
            lg, labels = evaluate(model, split.val, L, cache, d, source=False)
            y = torch.tensor(labels, dtype=torch.long)
            sums = d.sum([float(F.cross_entropy(lg, y, reduction="sum")) if labels else 0.0, float((lg.argmax(1) == y).sum()) if labels else 0.0])
            val_loss, val_acc = sums[0] / len(split.val), sums[1] / len(split.val)
        em = {"epoch": epoch, "train_acc": correct / n, "train_loss": loss_sum / n, "val_acc": val_acc, "val_loss": val_loss,
              "images_per_s": n / max(seconds, 1e-9), "seconds": seconds}
        epochs.append(em)
        if writer:
            writer.metric(em)
            writer.checkpoint({**model.trainable_tensors(), **optimizer_tensors(s, opt, named)},
                              {"format": "vp-studio-checkpoint/1", "flags": flags, "epoch": epoch + 1, "step": t, "rngState": rng.state(), "epochs": epochs, **about})
        log(f"epoch {epoch + 1}/{s['epochs']}: train_loss {em['train_loss']:.4f} val_acc {val_acc if val_acc is None else round(val_acc, 4)}")
    if writer and stop == int(s["epochs"]):
        finish(writer, model, s, bb, split, backbone_onnx, identity, L, epochs, total, time.time() - t0, d, a)
    if d.world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


def finish(writer: RunWriter, model: PromptedModel, s, bb, split, backbone_onnx: str, identity: Dict[str, Any], L: int, epochs, total: int, seconds: float, d: Dist, a) -> None:
    tensors = model.trainable_tensors()
    writer.tensors(tensors, {"method": s["method"], "head": s["head"], "classes": json.dumps(split.classes, separators=(",", ":"))})
    if not a.no_export:
        model.eval()
        export_onnx(model, os.path.join(writer.dir, "model.onnx"), L, d.device, ("images", "logits"))
    best = max([e["val_acc"] for e in epochs if e["val_acc"] is not None] or [-1])
    last = epochs[-1] if epochs else {}
    writer.manifest({
        "format": "vp-studio-run/1", "settings": s,
        "backbone": {"file": identity["file"], "path": backbone_onnx, "sha256": identity["sha256"], "family": bb.kind,
                     "inputSize": L, "params": sum(p.numel() for p in bb.module.parameters()), "torch": a.model or "", "torchFamily": bb.family},
        "preprocessing": {"inputSize": L, "mean": s["mean"], "std": s["std"], "range": "[0,1]", "resize": "bilinear", "layout": "NCHW"},
        **({} if a.no_export else {"model": {"file": "model.onnx", "input": ["N", 3, L, L], "output": ["N", len(split.classes)]}}),
        "classes": split.classes, "trainableParameters": sum(v.numel() for k, v in tensors.items() if k != "mapping"), "seed": s["seed"],
        "data": {"train": len(split.train), "val": len(split.val), "skipped": split.skipped},
        "final": {**last, "best_val_acc": best if best >= 0 else None, "seconds": seconds, "steps": total},
        "backend": f"pytorch {d.device.type} × {d.world}",
        "versions": {"vp_studio-python": "0.1.0", "torch": torch.__version__, "python": platform.python_version()},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })


if __name__ == "__main__":
    sys.exit(main())
