#!/usr/bin/python3
"""Export small random-weight models to ONNX together with torch.autograd
input gradients. These fixtures are an independent oracle for our own
reverse-mode autodiff over ONNX graphs (src/): nothing in them was computed
by code written in this repository.

Committed set (tests/fixtures/grad/):

    /usr/bin/python3 scripts/export_fixtures.py --out tests/fixtures/grad
    /usr/bin/python3 scripts/export_fixtures.py --out DIR --only vit_o17 resnet_o13
    /usr/bin/python3 scripts/export_fixtures.py --list

One ad-hoc fixture (e.g. to produce new, unseen test cases):

    /usr/bin/python3 scripts/export_fixtures.py custom --arch vit --opset 17 \
        --batch 3 --image 40 --patch 8 --depth 3 --heads 4 --width 64 \
        --seed 123 --out /tmp/my_vit

Each fixture directory holds model.onnx (input "input", output "logits"),
x.npy, cotangent.npy, output.npy, grad.npy (float32, C order) and meta.json.
grad.npy = d<output, cotangent>/dx, computed by torch.autograd on a float64
copy of the same weights, then cast to float32. See scripts/README-fixtures.md.

Requires torch (tested with Debian's 1.13.1), torchvision (0.14.1), onnx and
numpy. Run with /usr/bin/python3.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import warnings
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.mobilenetv2 import MobileNetV2
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
from torchvision.models.vision_transformer import VisionTransformer

INPUT_NAME = "input"
OUTPUT_NAME = "logits"


# --------------------------------------------------------------------------
# Architectures
# --------------------------------------------------------------------------


class TinyResNet(ResNet):
    """torchvision ResNet with configurable (tiny) stage widths.

    torchvision's ResNet.__init__ hard-codes 64..512 channels, so we rebuild the
    same module tree here and reuse ResNet._make_layer / ResNet.forward and the
    BasicBlock / Bottleneck classes unchanged: 7x7 s2 stem conv, BN, ReLU,
    3x3 s2 max-pool, four stages (stride 1,2,2,2) with 1x1-conv+BN downsample,
    adaptive avg pool, flatten, fc.
    """

    def __init__(self, block, layers, widths=(8, 16, 32, 64), num_classes=10):
        nn.Module.__init__(self)
        norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


class HFViTEmbeddings(nn.Module):
    def __init__(self, image, patch, hidden):
        super().__init__()
        self.cls_token = nn.Parameter(torch.randn(1, 1, hidden) * 0.5)
        n_patches = (image // patch) ** 2
        self.position_embeddings = nn.Parameter(torch.randn(1, n_patches + 1, hidden) * 0.5)
        self.patch_embeddings = nn.Conv2d(3, hidden, kernel_size=patch, stride=patch)
        self.dropout = nn.Dropout(0.1)

    def forward(self, pixel_values):
        b = pixel_values.shape[0]
        emb = self.patch_embeddings(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(b, -1, -1)
        emb = torch.cat((cls, emb), dim=1)
        emb = emb + self.position_embeddings
        return self.dropout(emb)


class HFViTSelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        assert hidden % heads == 0
        self.num_attention_heads = heads
        self.attention_head_size = hidden // heads
        self.all_head_size = hidden
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(0.1)

    def transpose_for_scores(self, x):
        new_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states):
        q = self.transpose_for_scores(self.query(hidden_states))
        k = self.transpose_for_scores(self.key(hidden_states))
        v = self.transpose_for_scores(self.value(hidden_states))
        scores = torch.matmul(q, k.transpose(-1, -2))
        scores = scores / math.sqrt(self.attention_head_size)
        probs = nn.functional.softmax(scores, dim=-1)
        probs = self.dropout(probs)
        ctx = torch.matmul(probs, v)
        ctx = ctx.permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (self.all_head_size,))
        return ctx


class HFViTLayer(nn.Module):
    """Pre-norm block as in transformers' ViTLayer."""

    def __init__(self, hidden, heads, mlp, eps=1e-12):
        super().__init__()
        self.layernorm_before = nn.LayerNorm(hidden, eps=eps)
        self.attention = HFViTSelfAttention(hidden, heads)
        self.attention_output = nn.Linear(hidden, hidden)  # ViTSelfOutput.dense
        self.attention_output_dropout = nn.Dropout(0.1)
        self.layernorm_after = nn.LayerNorm(hidden, eps=eps)
        self.intermediate = nn.Linear(hidden, mlp)  # ViTIntermediate.dense
        self.intermediate_act_fn = nn.GELU()  # exact (erf) GELU
        self.output = nn.Linear(mlp, hidden)  # ViTOutput.dense
        self.output_dropout = nn.Dropout(0.1)

    def forward(self, h):
        a = self.attention(self.layernorm_before(h))
        a = self.attention_output_dropout(self.attention_output(a))
        h = a + h
        y = self.intermediate_act_fn(self.intermediate(self.layernorm_after(h)))
        y = self.output_dropout(self.output(y))
        return y + h


class HFViTForImageClassification(nn.Module):
    """Hugging Face transformers ViTForImageClassification, re-written in plain
    torch (transformers is not installed here); same op structure."""

    def __init__(self, image=32, patch=8, hidden=32, heads=2, layers=2, mlp=None, num_classes=10, eps=1e-12):
        super().__init__()
        mlp = mlp or 4 * hidden
        self.embeddings = HFViTEmbeddings(image, patch, hidden)
        self.layer = nn.ModuleList([HFViTLayer(hidden, heads, mlp, eps) for _ in range(layers)])
        self.layernorm = nn.LayerNorm(hidden, eps=eps)
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, pixel_values):
        h = self.embeddings(pixel_values)
        for layer in self.layer:
            h = layer(h)
        h = self.layernorm(h)
        return self.classifier(h[:, 0, :])


def build_model(arch, image, depth, heads, width, patch, num_classes=10):
    """Returns (model, notes)."""
    if arch == "vit":
        mlp = 2 * width
        m = VisionTransformer(
            image_size=image, patch_size=patch, num_layers=depth, num_heads=heads,
            hidden_dim=width, mlp_dim=mlp, num_classes=num_classes,
        )
        notes = (f"torchvision.models.VisionTransformer(image_size={image}, patch_size={patch}, "
                 f"num_layers={depth}, num_heads={heads}, hidden_dim={width}, mlp_dim={mlp}, "
                 f"num_classes={num_classes}); LayerNorm eps=1e-6; nn.MultiheadAttention (packed in_proj) "
                 f"exported via the slow (non-fused) path; zero-initialised head/class_token/biases re-initialised randomly")
        return m, notes
    if arch == "hfvit":
        m = HFViTForImageClassification(image=image, patch=patch, hidden=width, heads=heads, layers=depth,
                                        mlp=2 * width, num_classes=num_classes)
        notes = (f"HF-style ViTForImageClassification in plain torch: hidden={width}, heads={heads}, "
                 f"layers={depth}, mlp={2 * width}, patch={patch}, image={image}; separate q/k/v Linear, "
                 f"scores/sqrt(head_dim), softmax, pre-norm LayerNorm eps=1e-12, exact GELU, CLS classifier")
        return m, notes
    if arch in ("resnet", "resnet-bottleneck"):
        block = BasicBlock if arch == "resnet" else Bottleneck
        widths = tuple(width * (2 ** i) for i in range(4))
        m = TinyResNet(block, [depth] * 4, widths=widths, num_classes=num_classes)
        notes = (f"torchvision ResNet/{block.__name__} with stage widths {list(widths)}, layers {[depth] * 4}; "
                 f"7x7 s2 stem, 3x3 s2 max-pool; random BatchNorm stats/affine (BN folded into Conv by the "
                 f"exporter in eval mode unless --keep-bn)")
        return m, notes
    if arch == "mobilenetv2":
        wm = width / 32.0
        setting = [
            # t, c, n, s
            [1, 16, 1, 1],
            [4, 24, max(depth, 2), 2],  # stride-2 block, then stride-1 residual block(s)
            [4, 32, max(depth, 2), 1],  # stride-1 non-residual (channel change), then residual
            [4, 48, 1, 2],
        ]
        m = MobileNetV2(num_classes=num_classes, width_mult=wm, inverted_residual_setting=setting)
        notes = (f"torchvision.models.MobileNetV2(width_mult={wm}, inverted_residual_setting={setting}); "
                 f"ReLU6 exported as Clip; random BatchNorm stats/affine (folded into Conv unless --keep-bn)")
        return m, notes
    raise ValueError(f"unknown arch {arch!r}")


def randomize(model, gen):
    """Make every parameter/buffer non-trivial so gradients cannot be trivially
    zero and normalisations are not identities."""

    def rn(t, std, mean=0.0):
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=gen) * std + mean)

    def ru(t, lo, hi):
        with torch.no_grad():
            t.copy_(torch.rand(t.shape, generator=gen) * (hi - lo) + lo)

    for mod in model.modules():
        if isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
            ru(mod.weight, 0.5, 1.5)
            rn(mod.bias, 0.2)
            rn(mod.running_mean, 0.2)
            ru(mod.running_var, 0.5, 2.0)
        elif isinstance(mod, nn.LayerNorm):
            ru(mod.weight, 0.5, 1.5)
            rn(mod.bias, 0.1)
    for name, p in model.named_parameters():
        if p.numel() and bool((p == 0).all()):
            # torchvision ViT: zero head weight/bias, class_token, MHA biases;
            # MLP biases normal(1e-6)
            rn(p, 0.05 if p.dim() > 1 else 0.1)
        elif name.endswith("bias") and float(p.abs().max()) < 1e-4:
            rn(p, 0.1)
    if isinstance(model, VisionTransformer):
        rn(model.class_token, 0.5)
        rn(model.heads.head.weight, 0.05)
    if isinstance(model, MobileNetV2):
        # torchvision initialises the classifier with std 0.01; use ~1/sqrt(fan_in)
        lin = model.classifier[-1]
        rn(lin.weight, 1.0 / math.sqrt(lin.in_features))
        # larger BN scales so that some ReLU6 units saturate at 6 (Clip max path)
        for mod in model.modules():
            if isinstance(mod, nn.BatchNorm2d):
                ru(mod.weight, 0.5, 3.0)


def calibrate_bn(model, gen, image, batches=4, batch=4):
    """Give BatchNorm realistic running statistics: accumulate them from a few
    random batches in train mode, then perturb them so BN in eval mode is
    neither an identity nor an exact normalisation."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn((batch, 3, image, image), generator=gen))
    with torch.no_grad():
        for m in bns:
            std = m.running_var.sqrt()
            m.running_mean.add_(torch.randn(m.running_mean.shape, generator=gen) * 0.2 * std)
            m.running_var.mul_(torch.rand(m.running_var.shape, generator=gen) * 0.8 + 0.6)
            m.momentum = 0.1
            m.num_batches_tracked.zero_()
    model.eval()


# --------------------------------------------------------------------------
# Fixture definitions
# --------------------------------------------------------------------------

# name -> kwargs of make_fixture
FIXTURES = {
    "vit_o13": dict(arch="vit", opset=13, batch=2, image=32, patch=8, depth=2, heads=2, width=32, seed=1301),
    "vit_o17": dict(arch="vit", opset=17, batch=2, image=32, patch=8, depth=2, heads=2, width=32, seed=1701),
    "vit3h_o17": dict(arch="vit", opset=17, batch=3, image=24, patch=6, depth=3, heads=3, width=48, seed=1702),
    "hfvit_o13": dict(arch="hfvit", opset=13, batch=2, image=32, patch=8, depth=2, heads=2, width=32, seed=1303),
    "hfvit_o17": dict(arch="hfvit", opset=17, batch=2, image=32, patch=8, depth=2, heads=2, width=32, seed=1703),
    "resnet_o13": dict(arch="resnet", opset=13, batch=2, image=64, depth=1, width=8, seed=1304),
    "resnet_o17": dict(arch="resnet", opset=17, batch=2, image=64, depth=1, width=8, seed=1704),
    "resnet_bottleneck_o17": dict(arch="resnet-bottleneck", opset=17, batch=3, image=48, depth=1, width=8,
                                  seed=1705),
    "mobilenetv2_o13": dict(arch="mobilenetv2", opset=13, batch=2, image=32, depth=2, width=16, seed=1306),
    "mobilenetv2_o17": dict(arch="mobilenetv2", opset=17, batch=2, image=32, depth=2, width=16, seed=1706),
    # Extra: same tiny ResNet exported with TrainingMode.PRESERVE on an eval()
    # model, so BatchNormalization nodes survive (not folded into Conv).
    "resnet_keepbn_o17": dict(arch="resnet", opset=17, batch=2, image=64, depth=1, width=8, seed=1707,
                              keep_bn=True),
}


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def _freeze(model):
    for p in model.parameters():
        p.requires_grad_(False)


def make_fixture(out_dir, arch, opset, batch, image, seed, depth=2, heads=2, width=32, patch=8,
                 num_classes=10, dynamic_batch=False, keep_bn=False, name=None):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model, notes = build_model(arch, image, depth, heads, width, patch, num_classes)
    randomize(model, gen)
    calibrate_bn(model, gen, image)
    model.eval()

    x = torch.randn((batch, 3, image, image), generator=gen, dtype=torch.float32)

    # --- ONNX export. Parameters still require grad and grad mode is on, so
    # nn.MultiheadAttention does not take its fused fast path (the exporter
    # has no symbolic for aten::_native_multi_head_attention).
    export_kwargs = dict(
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        opset_version=opset,
        do_constant_folding=True,
    )
    if dynamic_batch:
        export_kwargs["dynamic_axes"] = {INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}
    if keep_bn:
        # eval() model + PRESERVE: BatchNormalization is exported in inference
        # form instead of being folded into the preceding Conv.
        export_kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
    onnx_path = os.path.join(out_dir, "model.onnx")
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), onnx_path, **export_kwargs)
    _freeze(model)

    # --- float32 forward (what the ONNX model should reproduce)
    with torch.no_grad():
        out32 = model(x)
    cot = torch.randn(out32.shape, generator=gen, dtype=torch.float32)

    # --- float64 oracle gradient with the very same (float32-valued) weights
    m64 = copy.deepcopy(model).double().eval()
    x64 = x.double().requires_grad_(True)
    with torch.enable_grad():
        out64 = m64(x64)
        (g64,) = torch.autograd.grad(out64, x64, cot.double())
    fwd_diff = float((out64.float() - out32).abs().max())

    # --- sanity: float32 autograd gradient agrees with the float64 oracle
    x32 = x.clone().requires_grad_(True)
    with torch.enable_grad():
        (g32,) = torch.autograd.grad(model(x32), x32, cot)
    grad_f32_diff = float((g32.double() - g64).abs().max())

    def save(fname, t):
        np.save(os.path.join(out_dir, fname), np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32)))

    save("x.npy", x)
    save("cotangent.npy", cot)
    save("output.npy", out32)
    save("grad.npy", g64.float())

    import onnx

    onnx_model = onnx.load(onnx_path)
    onnx.checker.check_model(onnx_model, full_check=True)
    op_types = sorted({n.op_type for n in onnx_model.graph.node})

    meta = {
        "name": name or os.path.basename(os.path.normpath(out_dir)),
        "arch": arch,
        "opset": opset,
        "batch": batch,
        "input_shape": list(x.shape),
        "output_shape": list(out32.shape),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "onnx": onnx.__version__,
        "notes": notes,
        "seed": seed,
        "image": image,
        "depth": depth,
        "heads": heads if arch in ("vit", "hfvit") else None,
        "width": width,
        "patch": patch if arch in ("vit", "hfvit") else None,
        "dynamic_batch": dynamic_batch,
        "keep_bn": keep_bn,
        "input_name": INPUT_NAME,
        "output_name": OUTPUT_NAME,
        "grad": "grad = torch.autograd.grad(model(x), x, cotangent) evaluated in float64 "
                "(same weights cast to double), stored as float32",
        "max_abs_grad": float(g64.abs().max()),
        "max_abs_output": float(out32.abs().max()),
        "check_fwd_f32_vs_f64": fwd_diff,
        "check_grad_f32_vs_f64": grad_f32_diff,
        "onnx_op_types": op_types,
        "num_parameters": int(sum(p.numel() for p in model.parameters())),
    }
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    rel = grad_f32_diff / max(meta["max_abs_grad"], 1e-30)
    if rel > 1e-3:
        print(f"WARNING: {meta['name']}: float32 and float64 autograd gradients differ by {rel:.1e} (relative); "
              f"an input probably sits on a ReLU/Clip/MaxPool kink -- try another --seed", file=sys.stderr)
    size_kb = os.path.getsize(onnx_path) / 1024
    print(f"{meta['name']:<24} arch={arch:<17} opset={opset} x={tuple(x.shape)} out={tuple(out32.shape)} "
          f"max|grad|={meta['max_abs_grad']:.4g} onnx={size_kb:.1f}KiB "
          f"(f32-vs-f64 fwd {fwd_diff:.1e}, grad {grad_f32_diff:.1e})", flush=True)
    return meta


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def main_set(argv):
    p = argparse.ArgumentParser(
        prog="export_fixtures.py",
        description="Export the standard set of gradient fixtures "
                    "(use 'export_fixtures.py custom -h' for a single ad-hoc fixture).")
    p.add_argument("--out", default="tests/fixtures/grad", help="output root (one sub-directory per fixture)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="export only these fixtures")
    p.add_argument("--dynamic-batch", action="store_true",
                   help="export with a symbolic batch dimension (committed fixtures use a fixed batch)")
    p.add_argument("--list", action="store_true", help="list fixture names and exit")
    a = p.parse_args(argv)
    if a.list:
        for k, v in FIXTURES.items():
            print(k, json.dumps(v))
        return 0
    names = a.only or list(FIXTURES)
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        p.error(f"unknown fixture(s): {', '.join(unknown)}; known: {', '.join(FIXTURES)}")
    for n in names:
        make_fixture(os.path.join(a.out, n), name=n, dynamic_batch=a.dynamic_batch, **FIXTURES[n])
    return 0


def main_custom(argv):
    p = argparse.ArgumentParser(
        prog="export_fixtures.py custom",
        description="Export one ad-hoc fixture.",
        epilog="--width: vit/hfvit hidden size (mlp = 2*width); resnet* stem width (stages w,2w,4w,8w); "
               "mobilenetv2 stem channels (width_mult = width/32). --depth: vit/hfvit encoder layers; resnet* "
               "blocks per stage; mobilenetv2 repeats of the two residual stages (>=2).")
    p.add_argument("--arch", required=True, choices=["vit", "hfvit", "resnet", "resnet-bottleneck", "mobilenetv2"])
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--image", type=int, default=32)
    p.add_argument("--depth", type=int, default=None, help="default: 2 (vit/hfvit/mobilenetv2), 1 (resnet)")
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--width", type=int, default=None, help="default: 32 (vit/hfvit), 8 (resnet), 16 (mobilenetv2)")
    p.add_argument("--patch", type=int, default=8)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dynamic-batch", action="store_true")
    p.add_argument("--keep-bn", action="store_true",
                   help="export with TrainingMode.PRESERVE so BatchNormalization is not folded into Conv")
    p.add_argument("--out", required=True, help="fixture directory")
    a = p.parse_args(argv)
    depth = a.depth if a.depth is not None else (1 if a.arch.startswith("resnet") else 2)
    width = a.width if a.width is not None else {"vit": 32, "hfvit": 32, "mobilenetv2": 16}.get(a.arch, 8)
    if a.arch in ("vit", "hfvit"):
        if a.image % a.patch:
            p.error("--image must be a multiple of --patch")
        if width % a.heads:
            p.error("--width must be a multiple of --heads")
    make_fixture(a.out, arch=a.arch, opset=a.opset, batch=a.batch, image=a.image, seed=a.seed, depth=depth,
                 heads=a.heads, width=width, patch=a.patch, num_classes=a.classes,
                 dynamic_batch=a.dynamic_batch, keep_bn=a.keep_bn)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    if argv and argv[0] == "custom":
        return main_custom(argv[1:])
    return main_set(argv)


if __name__ == "__main__":
    sys.exit(main())
