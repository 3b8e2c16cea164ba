#!/usr/bin/env python3
"""Train and export the two CIFAR-10 starter backbones of Visual Prompt Studio.

    nice /usr/bin/python3 models/train_starters.py --arch resnet --epochs 12 --out models/
    nice /usr/bin/python3 models/train_starters.py --arch vit    --epochs 12 --out models/

Data: the CIFAR-10 JPEG tarball (`/work/shared/data/cifar10-jpeg.tar.gz`), extracted to --data
(default /tmp/cifar: train/<class>/NNNN.jpg, test/<class>/NNNN.jpg). The JPEGs are decoded once
into uint8 arrays cached as .npy next to them. Class index = position in sorted class-folder names.

Preprocessing (the recipe, NOT baked into the ONNX model, like a torchvision export):
    x in [0,1], NCHW, 32x32  ->  (x - MEAN) / STD  per channel  ->  model  ->  logits (N, 10)

Writes <out>/starter-<arch>.onnx (opset 17, input "input", output "logits", dynamic batch),
<data>/starter-<arch>.pt (state dict checkpoint, not committed) and <out>/starter-<arch>.train.json
(recipe, wall time, torch test accuracy, ONNX export check).

Resumable: the whole training state (weights, optimiser, step, the epoch's data order, the augmentation
generator, the log so far) is saved to --state (default models/.train/starter-<arch>.state.pt, git-ignored)
every --save-every-min minutes, at the end of each epoch, on SIGTERM/SIGINT and at --stop-after-min, so a
long schedule can be spread over several sessions: rerun the same command and it continues where it
stopped. A resumed run is bit-for-bit the uninterrupted one (python/tests/test_starters_resume.py).

Warm restart: --init-from PT starts from an earlier run's weights and runs one more one-cycle schedule
(SGDR-style), so a finished run can be trained further without repeating it; the new train.json records the
weights' sha256 and the earlier run's history (from PT's .train.json beside it), and its state file is
starter-<arch>-from-<sha8>.state.pt.

--bf16 computes forward and backward under CPU bfloat16 autocast (weights, optimiser state and the
evaluation stay fp32). On a CPU with avx512_bf16 oneDNN then runs the matmuls: the ViT's step is 3.1x
faster on this machine (125 vs 394 ms at batch 128, 2 threads). It is part of the run's identity.

--teacher PT distils from a trained ResNet starter (its state_dict) as DeiT does with one head (Touvron
et al. 2021, "hard-label distillation"): loss = (1 - a) * CE_smoothed(student, y) + a * CE(student,
argmax teacher(x)), the teacher seeing the same augmented batch; a = --distill-alpha (0.5). The
teacher's sha256 is recorded in the recipe; the exported model is the student alone.
"""
import signal
import argparse
import hashlib
import json
import math
import os
import sys
import tarfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


# ----------------------------------------------------------------------------------------- data
def load_split(root, split):
    """uint8 (N,32,32,3) images and int64 labels for one split; cached as .npy."""
    cache_x = os.path.join(root, f"{split}_x.npy")
    cache_y = os.path.join(root, f"{split}_y.npy")
    classes = sorted(d for d in os.listdir(os.path.join(root, split))
                     if os.path.isdir(os.path.join(root, split, d)))
    if os.path.exists(cache_x) and os.path.exists(cache_y):
        return np.load(cache_x), np.load(cache_y), classes
    from PIL import Image
    xs, ys = [], []
    for ci, c in enumerate(classes):
        d = os.path.join(root, split, c)
        for f in sorted(os.listdir(d)):
            with Image.open(os.path.join(d, f)) as im:
                xs.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
            ys.append(ci)
    x = np.stack(xs)
    y = np.asarray(ys, dtype=np.int64)
    np.save(cache_x, x)
    np.save(cache_y, y)
    return x, y, classes


def ensure_extracted(root, tarball):
    if not os.path.isdir(os.path.join(root, "train")):
        os.makedirs(root, exist_ok=True)
        with tarfile.open(tarball) as t:
            t.extractall(root)


class Normalizer:
    def __init__(self, device):
        self.mean = torch.tensor(CIFAR_MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(CIFAR_STD, device=device).view(1, 3, 1, 1)

    def __call__(self, x_u8):  # uint8 NCHW -> normalised float
        return (x_u8.float().div_(255.0) - self.mean) / self.std


def augment_batch(xpad, idx, gen, pad=4):
    """Random crop (reflect pad `pad`) + horizontal flip on uint8 NCHW padded images."""
    n = len(idx)
    s = 32
    ox = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    oy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    out = torch.empty((n, 3, s, s), dtype=torch.uint8)
    for j in range(n):
        img = xpad[idx[j], :, oy[j]:oy[j] + s, ox[j]:ox[j] + s]
        out[j] = img.flip(-1) if flip[j] else img
    return out


# --------------------------------------------------------------------------------------- models
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """3x3 stem -> 3 stages of BasicBlocks (stride 1,2,2) -> global avg pool -> fc."""

    def __init__(self, widths=(32, 64, 128), blocks=(1, 1, 1), num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]),
                                  nn.ReLU(inplace=True))
        layers, cin = [], widths[0]
        for i, (w, b) in enumerate(zip(widths, blocks)):
            for k in range(b):
                layers.append(BasicBlock(cin, w, 2 if (i > 0 and k == 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.modules():  # zero-init last BN of each residual branch
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


USE_CONV_LINEAR = True  # training speed-up only; switched off before export


class Linear(nn.Linear):
    """nn.Linear whose CPU training forward runs as a 1x1 convolution.

    Debian's torch build links the reference (netlib) BLAS, where F.linear is ~13x slower than
    the oneDNN convolution kernel. Same weights, same maths; for export USE_CONV_LINEAR is set to
    False so the ONNX graph has the plain MatMul/Add a user's own export would have.
    """

    def forward(self, x):
        if not USE_CONV_LINEAR or x.device.type != "cpu" or torch.is_autocast_cpu_enabled():
            # export, GPU, or --bf16 (oneDNN's bf16 matmul is fast; only fp32 goes to the slow BLAS)
            return F.linear(x, self.weight, self.bias)
        shp = x.shape
        y = F.conv2d(x.reshape(-1, shp[-1], 1, 1), self.weight[:, :, None, None], self.bias)
        return y.reshape(*shp[:-1], self.out_features)


class Attention(nn.Module):
    """Explicit multi-head self-attention (q, k, v linears, matmul, softmax): exportable to ONNX."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.hd = dim // heads
        self.scale = self.hd ** -0.5
        self.q = Linear(dim, dim)
        self.k = Linear(dim, dim)
        self.v = Linear(dim, dim)
        self.proj = Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q = self.q(x).reshape(b, n, self.heads, self.hd).transpose(1, 2)
        k = self.k(x).reshape(b, n, self.heads, self.hd).transpose(1, 2)
        v = self.v(x).reshape(b, n, self.heads, self.hd).transpose(1, 2)
        attn = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * self.scale, dim=-1)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, d)
        return self.proj(out)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(Linear(dim, mlp_dim), nn.GELU(), Linear(mlp_dim, dim))  # exact (erf) GELU

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """Patch 4 on 32x32 -> 64 patch tokens + CLS, learned pos-emb, pre-norm blocks, final LN, head on CLS."""

    def __init__(self, img=32, patch=4, dim=128, depth=4, heads=4, mlp_dim=256, num_classes=10):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        n = (img // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)  # (N, 64, D)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build(arch):
    if arch == "resnet":
        return CifarResNet()
    return ViT()


RECIPES = {
    # one-cycle SGD-Nesterov, label smoothing 0.1, random crop (reflect pad 4) + flip
    "resnet": dict(opt="sgd", lr=0.15, momentum=0.9, wd=5e-4, batch=128, smoothing=0.1, pct_start=0.25),
    # one-cycle AdamW, label smoothing 0.1, random crop + flip
    "vit": dict(opt="adamw", lr=1e-3, wd=0.05, batch=128, smoothing=0.1, pct_start=0.2, clip=1.0),
}


@torch.no_grad()
def evaluate(model, x_u8, y, norm, device, bs=1000):
    model.eval()
    correct = 0
    for i in range(0, len(y), bs):
        xb = norm(x_u8[i:i + bs].to(device))
        correct += (model(xb).argmax(1).cpu() == y[i:i + bs]).sum().item()
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["resnet", "vit"], required=True)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--out", default="models/")
    ap.add_argument("--data", default="/tmp/cifar")
    ap.add_argument("--tarball", default="/work/shared/data/cifar10-jpeg.tar.gz")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (timing runs only)")
    ap.add_argument("--budget-min", type=float, default=0.0,
                    help="wall-clock budget for the training loop in minutes (0 = none). The one-cycle "
                         "schedule then follows progress = max(step/total_steps, elapsed/budget) and "
                         "training stops when progress reaches 1, so a run on a busy machine still "
                         "finishes its full warm-up/anneal cycle; the steps actually done are logged.")
    ap.add_argument("--subset", type=int, default=0, help="use only the first N train/test images (smoke tests)")
    ap.add_argument("--export-only", action="store_true", help="export <data>/starter-<arch>.pt to ONNX")
    ap.add_argument("--init-from", default=None, metavar="PT",
                    help="start from these weights (a state_dict an earlier run saved) and train one more "
                         "one-cycle schedule over them: a warm restart (Loshchilov & Hutter, SGDR). The "
                         "weights' sha256 and, when PT.train.json exists beside them, the earlier run's "
                         "history are recorded in the new train.json")
    ap.add_argument("--bf16", action="store_true",
                    help="compute under CPU bfloat16 autocast (fp32 weights/optimiser/evaluation)")
    ap.add_argument("--teacher", default=None, metavar="PT",
                    help="distil from this ResNet starter state_dict (DeiT hard-label distillation)")
    ap.add_argument("--distill-alpha", type=float, default=0.5, help="weight of the teacher's labels")
    ap.add_argument("--state", default=None,
                    help="resumable training state (default models/.train/starter-<arch>.state.pt)")
    ap.add_argument("--fresh", action="store_true", help="ignore (and overwrite) an existing --state")
    ap.add_argument("--save-every-min", type=float, default=5.0, help="save the state this often (minutes)")
    ap.add_argument("--stop-after-min", type=float, default=0.0,
                    help="save the state and exit after this many minutes of this process (0 = run to the end)")
    ap.add_argument("--stop-after-steps", type=int, default=None,
                    help="save the state and exit once the run reaches this step (tests of resuming)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    device = torch.device(args.device)
    rec = dict(RECIPES[args.arch])
    if args.lr is not None:
        rec["lr"] = args.lr
    if args.batch is not None:
        rec["batch"] = args.batch
    if args.bf16:
        rec["precision"] = "bf16-autocast"
    teacher = None
    if args.teacher and not args.export_only:
        rec["distill"] = {"teacher": os.path.basename(args.teacher), "arch": "resnet", "kind": "hard",
                          "alpha": args.distill_alpha, "sha256": file_sha256(args.teacher)}
        teacher = build("resnet").to(device)
        teacher.load_state_dict(torch.load(args.teacher, map_location=device))
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)

    ensure_extracted(args.data, args.tarball)
    xtr, ytr, classes = load_split(args.data, "train")
    xte, yte, classes_te = load_split(args.data, "test")
    assert classes == classes_te
    if args.subset:
        sel = np.random.RandomState(0).permutation(len(ytr))[:args.subset]
        xtr, ytr, xte, yte = xtr[sel], ytr[sel], xte[:args.subset], yte[:args.subset]
    xtr = torch.from_numpy(xtr).permute(0, 3, 1, 2).contiguous()
    xte = torch.from_numpy(xte).permute(0, 3, 1, 2).contiguous()
    ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)
    xpad = F.pad(xtr.float(), (4, 4, 4, 4), mode="reflect").to(torch.uint8)
    norm = Normalizer(device)

    model = build(args.arch).to(device)
    init = None
    if args.init_from and not args.export_only:
        init = {"weights": os.path.basename(args.init_from), "sha256": file_sha256(args.init_from)}
        model.load_state_dict(torch.load(args.init_from, map_location=device))
        side = os.path.splitext(args.init_from)[0] + ".train.json"
        if os.path.exists(side):
            with open(side) as f:
                prev_log = json.load(f)
            init["earlier"] = {k: prev_log.get(k) for k in ("epochs", "seed", "recipe", "init_from",
                                                          "torch_test_acc", "train_wall_s", "history")}
    nparams = sum(p.numel() for p in model.parameters())
    os.makedirs(args.out, exist_ok=True)
    pt_path = os.path.join(args.data, f"starter-{args.arch}.pt")
    log = {"arch": args.arch, "params": nparams, "recipe": rec, "epochs": args.epochs, "seed": args.seed,
           "threads": args.threads, "device": args.device, "classes": classes,
           "mean": CIFAR_MEAN, "std": CIFAR_STD, "history": []}
    if init:
        log["init_from"] = init
    print(f"{args.arch}: {nparams} params, recipe {rec}", flush=True)

    if args.export_only:
        model.load_state_dict(torch.load(pt_path, map_location=device))
        prev = os.path.join(args.out, f"starter-{args.arch}.train.json")
        if os.path.exists(prev):
            with open(prev) as f:
                log = json.load(f)
    else:
        steps_per_epoch = len(ytr) // rec["batch"]  # drop last partial batch
        total = steps_per_epoch * args.epochs
        if rec["opt"] == "sgd":
            decay, no_decay = [], []
            for n_, p in model.named_parameters():
                (no_decay if p.ndim <= 1 else decay).append(p)
            opt = torch.optim.SGD([{"params": decay, "weight_decay": rec["wd"]},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=rec["lr"], momentum=rec["momentum"], nesterov=True)
        else:
            decay, no_decay = [], []
            for n_, p in model.named_parameters():
                (no_decay if (p.ndim <= 1 or "pos_embed" in n_ or "cls_token" in n_) else decay).append(p)
            opt = torch.optim.AdamW([{"params": decay, "weight_decay": rec["wd"]},
                                     {"params": no_decay, "weight_decay": 0.0}], lr=rec["lr"])
        budget_s = args.budget_min * 60.0

        def lr_at(progress):  # one-cycle: linear warm-up lr/25 -> lr, cosine anneal -> lr/25000
            lo, hi, end = rec["lr"] / 25, rec["lr"], rec["lr"] / 25000
            if progress < rec["pct_start"]:
                return lo + (hi - lo) * progress / rec["pct_start"]
            q = (progress - rec["pct_start"]) / (1 - rec["pct_start"])
            return end + (hi - end) * 0.5 * (1 + math.cos(math.pi * min(q, 1.0)))

        crit = nn.CrossEntropyLoss(label_smoothing=rec["smoothing"])
        gen = torch.Generator().manual_seed(args.seed)
        state_path = args.state or os.path.join(
            HERE, ".train", f"starter-{args.arch}" + (f"-from-{init['sha256'][:8]}" if init else "") + ".state.pt")
        identity = {"arch": args.arch, "epochs": args.epochs, "seed": args.seed, "recipe": rec,
                    "budget_min": args.budget_min, "subset": args.subset, "n_train": int(len(ytr)),
                    "init_sha256": init["sha256"] if init else None}
        step, ep0, s0, prev_elapsed = 0, 0, 0, 0.0
        perm, acc0 = None, (0.0, 0, 0, 0.0)
        if os.path.exists(state_path) and not args.fresh:
            st = torch.load(state_path, map_location=device, weights_only=False)
            for k, v in identity.items():
                if st["identity"].get(k) != v:
                    sys.exit(f"{state_path}: was made with {k} = {st['identity'].get(k)!r}, this run asks for "
                             f"{v!r}; pass the same arguments to continue it, or --fresh to start over")
            model.load_state_dict(st["model"])
            opt.load_state_dict(st["opt"])
            gen.set_state(st["gen"])
            step, ep0, s0, prev_elapsed = st["step"], st["epoch"], st["pos"], st["elapsed"]
            perm, acc0 = st["perm"], tuple(st["acc"])
            log["history"] = st["history"]
            print(f"resumed {state_path}: epoch {ep0}, step {step}/{total}, "
                  f"{prev_elapsed / 60:.1f} min trained before", flush=True)
        stop = {"why": None}

        def on_signal(signum, _frame):
            stop["why"] = signal.Signals(signum).name

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

        def save_state(ep, pos, perm, acc):
            os.makedirs(os.path.dirname(os.path.abspath(state_path)), exist_ok=True)
            tmp = state_path + ".tmp"
            torch.save({"identity": identity, "model": model.state_dict(), "opt": opt.state_dict(),
                        "gen": gen.get_state(), "step": step, "epoch": ep, "pos": pos, "perm": perm,
                        "acc": list(acc), "elapsed": prev_elapsed + time.time() - t_proc,
                        "history": log["history"]}, tmp)
            os.replace(tmp, state_path)  # atomic: a kill mid-save keeps the previous state

        t_proc = time.time()
        t0 = t_proc - prev_elapsed  # elapsed training time counts across resumed processes
        last_save = t_proc
        done = False
        for ep in range(ep0, args.epochs):
            model.train()
            if ep > ep0 or perm is None:
                perm = torch.randperm(len(ytr), generator=gen)
                s0, acc0 = 0, (0.0, 0, 0, 0.0)
            te = time.time() - acc0[3]
            tot_loss, tot_ok, seen = acc0[0], acc0[1], acc0[2]
            for s in range(s0, steps_per_epoch):
                now = time.time()
                reason = stop["why"]
                if args.stop_after_min and now - t_proc >= args.stop_after_min * 60:
                    reason = f"--stop-after-min {args.stop_after_min:g}"
                if args.stop_after_steps is not None and step >= args.stop_after_steps:
                    reason = f"--stop-after-steps {args.stop_after_steps}"
                if reason or now - last_save >= args.save_every_min * 60:
                    save_state(ep, s, perm, (tot_loss, tot_ok, seen, now - te))
                    last_save = now
                if reason:
                    print(f"stopped ({reason}) at epoch {ep}, step {step}/{total}; state saved to {state_path} "
                          f"- rerun the same command to continue", flush=True)
                    return
                progress = step / total
                if budget_s > 0:
                    progress = max(progress, (time.time() - t0) / budget_s)
                if progress >= 1.0:
                    done = True
                    break
                for g in opt.param_groups:
                    g["lr"] = lr_at(progress)
                idx = perm[s * rec["batch"]:(s + 1) * rec["batch"]]
                xb = norm(augment_batch(xpad, idx, gen).to(device))
                yb = ytr[idx].to(device)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                    logits = model(xb).float()
                    if teacher is not None:
                        with torch.no_grad():
                            t_lab = teacher(xb).argmax(1)
                loss = crit(logits, yb)
                if teacher is not None:
                    a = rec["distill"]["alpha"]
                    loss = (1 - a) * loss + a * F.cross_entropy(logits, t_lab)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if rec.get("clip"):
                    nn.utils.clip_grad_norm_(model.parameters(), rec["clip"])
                opt.step()
                step += 1
                tot_loss += loss.item() * len(idx)
                tot_ok += (logits.argmax(1) == yb).sum().item()
                seen += len(idx)
                if s % 50 == 0:
                    print(f"  ep {ep} step {s}/{steps_per_epoch} progress {progress:.3f} "
                          f"lr {opt.param_groups[0]['lr']:.2e} loss {loss.item():.3f} "
                          f"{(time.time() - te) / (s + 1):.3f}s/step", flush=True)
                if args.max_steps and step >= args.max_steps:
                    print(f"timing: {(time.time() - t0) / step:.3f}s/step, "
                          f"{(time.time() - t0) / step * steps_per_epoch:.0f}s/epoch", flush=True)
                    return
            ep_time = time.time() - te
            last = done or ep == args.epochs - 1
            acc = evaluate(model, xte, yte, norm, device) if last else None
            h = {"epoch": ep + (1 if not done else round(s / steps_per_epoch, 3)), "steps": step, "train_loss": tot_loss / max(seen, 1), "train_acc": tot_ok / max(seen, 1),
                 "epoch_s": round(ep_time, 1), "elapsed_s": round(time.time() - t0, 1), "test_acc": acc}
            log["history"].append(h)
            print(json.dumps(h), flush=True)
            torch.save(model.state_dict(), pt_path)
            save_state(ep + 1, 0, None, (0.0, 0, 0, 0.0))
            last_save = time.time()
            if done:
                break
        log["steps_done"] = step
        log["epochs_done"] = round(step / steps_per_epoch, 3)
        log["budget_min"] = args.budget_min
        log["train_wall_s"] = round(time.time() - t0, 1)
        log["torch_test_acc"] = log["history"][-1]["test_acc"]

    # ---------------------------------------------------------------------------------- export
    global USE_CONV_LINEAR
    USE_CONV_LINEAR = False
    model = model.cpu().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    onnx_path = os.path.join(args.out, f"starter-{args.arch}.onnx")
    dummy = torch.zeros(2, 3, 32, 32)
    torch.onnx.export(model, dummy, onnx_path, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    log["onnx_ops"] = sorted({n.op_type for n in m.graph.node})
    log["onnx_bytes"] = os.path.getsize(onnx_path)
    print("exported", onnx_path, log["onnx_bytes"], "bytes, ops:", log["onnx_ops"], flush=True)
    with open(os.path.join(args.out, f"starter-{args.arch}.train.json"), "w") as f:
        json.dump(log, f, indent=1)
    # reference logits for a fixed batch (first 8 test images), used to check ONNX == torch
    with torch.no_grad():
        ref = model(Normalizer("cpu")(xte[:8])).numpy()
    np.save(os.path.join(args.data, f"ref_logits_{args.arch}.npy"), ref)


if __name__ == "__main__":
    sys.exit(main())
