#!/usr/bin/python3
"""More random-weight STAND-INS for ONNX files from the model hubs (the sequel of
scripts/make_hub_standins.py, whose conventions, helpers and modules this script reuses).

Each stand-in reproduces the graph STRUCTURE of a real file -- exporter style, opset / IR version, input and
output names and (symbolic) axes, op types, prefix tokens, pooling and head -- with tiny widths (ViT hidden 32,
2 layers, 2 heads, MLP 64; CNN widths 8-64; 10 classes) at the real 224x224 input:

    deit-distilled          HF DeiTForImageClassificationWithTeacher (CLS + distillation token, two heads averaged)
    dinov2-registers        HF Dinov2WithRegistersModel (CLS, 4 registers after the position add, layer scale)
    clip-vision-hf          HF CLIPVisionModel (pre_layrnorm, quick_gelu, pooler = post_layernorm(CLS))
    clip-vision-proj-hf     HF CLIPVisionModelWithProjection (image_embeds = bias-free projection of the pooler)
    openclip-visual         open_clip / OpenAI-CLIP VisionTransformer alone (nn.MultiheadAttention, LND permutes)
    vit-avgpool-cls         timm ViT, global_pool='avg' with a class token (x[:, 1:].mean(1) -> fc_norm -> head)
    vit-gap-noclass         timm ViT, class_token=False, global_pool='avg' (norm -> x.mean(1) -> head)
    convnextv2              HF ConvNextV2ForImageClassification (GRN as ReduceL2, channels-first LN as permutes)
    vit-external-data       optimum-vit-o17 with its weights in model.onnx_data (one external-data file)
    vit-external-data-multi optimum-vit-o17 with one external-data file per initializer
    efficientnet-lite-nhwc  ONNX Model Zoo efficientnet-lite4-11 (tf2onnx): NHWC images:0, fixed batch 1, Softmax:0
    dinov2-antialias        dinov2 whose position-embedding Resize is opset 18 with antialias=1

    /usr/bin/python3 scripts/make_hub_standins_next.py --out tests/fixtures/hub-next
    /usr/bin/python3 scripts/make_hub_standins_next.py --out tests/fixtures/hub-next --only convnextv2
    /usr/bin/python3 scripts/make_hub_standins_next.py --list

Output per fixture: the model file(s), meta.json (the fields of make_hub_standins.py plus `prefix_tokens` and
`features`), the HF config files where the real repo has them, and gradient fixtures x.npy / cotangent.npy /
output.npy / grad.npy (float32, C order; grad = d<model(x), cotangent>/dx by torch.autograd in float64 on the same
weights, of the FIRST output for multi-output files; x [2,3,224,224] -- the same x.npy as tests/fixtures/hub --
or [1,224,224,3] for the fixed-batch NHWC file). Every model is run by onnxruntime-node and compared with the
torch module it came from (dinov2-antialias: see its notes). The rows of tests/fixtures/hub-next/README.md
between this script's markers are (re)written; the rest of that README is left alone.

Seeds fixed, torch single-threaded: re-running rewrites the same bytes. Requires Debian's torch 1.13 /
torchvision 0.14 / onnx 1.12 / numpy, node and node_modules/onnxruntime-node.
"""
from __future__ import annotations

import collections
import copy
import io
import math
import os
import re
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import export_fixtures as ef  # noqa: E402  (HFViT*, randomize)
import make_hub_standins as mhs  # noqa: E402  (helpers, Dinov2Like, TimmBlock, build_vit, ...)

IMAGE = mhs.IMAGE
NUM_CLASSES = mhs.NUM_CLASSES
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
INT64_MAX = 9223372036854775807
AXES_OLD = mhs.VIT_AXES_OLD  # {0: batch_size, 1: num_channels, 2: height, 3: width}


# ==========================================================================
# Helpers
# ==========================================================================


class FirstOutput(nn.Module):
    """model(x)[0]: the gradient fixtures of multi-output files are of the first output."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        out = self.m(x)
        return out[0] if isinstance(out, (tuple, list)) else out


def outputs_of(m, x):
    with torch.no_grad():
        y = m(x)
    return y if isinstance(y, (tuple, list)) else (y,)


def grad_fixture(d, m, x, seed, of):
    """Write x/cotangent/output/grad .npy for FirstOutput(m); returns the meta 'grad' dict."""
    os.makedirs(d, exist_ok=True)
    g = mhs.grad_oracle(FirstOutput(m), x, torch.Generator().manual_seed(seed))
    return mhs.write_grad_files(d, x, g, of), g


def default_opset(proto):
    return next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))


def finish(d, name, proto, meta_extra, torch_model, x, expected, tol_rel, configs=None, grad=None,
           fname="model.onnx", saver=None, extra_files=(), check_extra=None, skip_check=False):
    """Save the model (saver(proto, path) or onnx.save), run the onnxruntime-node check (unless skip_check: the
    caller did it), write meta.json and config files. Same meta fields as make_hub_standins.py plus
    prefix_tokens / features (given in meta_extra)."""
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, fname)
    (saver or onnx.save)(copy.deepcopy(proto), path)
    size = os.path.getsize(path) + sum(os.path.getsize(os.path.join(d, f)) for f in extra_files)
    ins, outs = mhs.io_desc(proto)
    opset = default_opset(proto)
    label = meta_extra.pop("_check_label", "torch")
    if skip_check:
        info = check_extra.pop("_info")
    else:
        _, info = mhs.ort_check(name, path, ins[0]["name"], x, expected, tol_rel, label)
    meta = {"name": name, "file": fname}
    if extra_files:
        meta["external_data_files"] = list(extra_files)
    meta.update(meta_extra)
    meta.update({"opset": opset, "ir_version": proto.ir_version, "input": ins[0], "outputs": outs,
                 "input_size": IMAGE, "ops": mhs.op_counts(proto), "num_nodes": len(proto.graph.node),
                 "file_bytes": size})
    meta["check"] = {"runtime": "onnxruntime-node", "batch": int(x.shape[0]), "reference": label,
                     "tolerance_rel": tol_rel,
                     "session_input_names": info["inputNames"], "session_output_names": info["outputNames"]}
    meta["check"].update(check_extra or {})
    if torch_model is not None:
        meta["num_parameters"] = mhs.n_params(torch_model)
    if grad is not None:
        meta["grad"] = grad
    mhs.write_json(os.path.join(d, "meta.json"), meta)
    for fn, obj in (configs or {}).items():
        mhs.write_json(os.path.join(d, fn), obj)
    print(f"{name:<24} opset {opset:<2} in {ins[0]['name']}{ins[0]['shape']} out "
          f"{[(o['name'], o['shape']) for o in outs]} {size / 1024:.0f} KiB; ops {meta['ops']}", flush=True)
    return meta


def export(m, x, opset, input_names, output_names, dynamic_axes=None, check=True):
    if check:
        return mhs.torch_export(m, x, opset, input_names, output_names, dynamic_axes)
    buf = io.BytesIO()
    kw = dict(input_names=input_names, output_names=output_names, opset_version=opset, do_constant_folding=True)
    if dynamic_axes:
        kw["dynamic_axes"] = dynamic_axes
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m, (x,), buf, **kw)
    return onnx.load_from_string(buf.getvalue())


def randn_(p, gen, std, mean=0.0):
    with torch.no_grad():
        p.copy_(torch.randn(p.shape, generator=gen) * std + mean)


# ==========================================================================
# Config files
# ==========================================================================


def hf_cls_config(arch, model_type, extra):
    c = {"architectures": [arch]}
    c.update(extra)
    c["id2label"], c["label2id"] = mhs.hf_labels()
    c.update({"model_type": model_type, "transformers_version": "4.x (stand-in)"})
    return dict(sorted(c.items()))


DEIT_PREPROC = {"crop_size": {"height": IMAGE, "width": IMAGE}, "do_center_crop": True, "do_normalize": True,
                "do_rescale": True, "do_resize": True, "image_mean": mhs.IMAGENET_MEAN,
                "image_processor_type": "DeiTImageProcessor", "image_std": mhs.IMAGENET_STD, "resample": 3,
                "rescale_factor": mhs.RESCALE, "size": {"height": 256, "width": 256}}

CLIP_PREPROC = {"crop_size": {"height": IMAGE, "width": IMAGE}, "do_center_crop": True, "do_convert_rgb": True,
                "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": CLIP_MEAN,
                "image_processor_type": "CLIPImageProcessor", "image_std": CLIP_STD, "resample": 3,
                "rescale_factor": mhs.RESCALE, "size": {"shortest_edge": IMAGE}}

CONVNEXT_PREPROC = {"crop_pct": 0.875, "do_normalize": True, "do_rescale": True, "do_resize": True,
                    "image_mean": mhs.IMAGENET_MEAN, "image_processor_type": "ConvNextImageProcessor",
                    "image_std": mhs.IMAGENET_STD, "resample": 3, "rescale_factor": mhs.RESCALE,
                    "size": {"shortest_edge": IMAGE}}


# ==========================================================================
# 1. DeiT distilled (HF DeiTForImageClassificationWithTeacher)
# ==========================================================================


class DeiTEmbeddings(nn.Module):
    def __init__(self, image=IMAGE, patch=16, hidden=32):
        super().__init__()
        self.cls_token = nn.Parameter(torch.randn(1, 1, hidden) * 0.5)
        self.distillation_token = nn.Parameter(torch.randn(1, 1, hidden) * 0.5)
        self.position_embeddings = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 2, hidden) * 0.5)
        self.patch_embeddings = nn.Conv2d(3, hidden, patch, patch)  # DeiTPatchEmbeddings.projection
        self.dropout = nn.Dropout(0.0)

    def forward(self, pixel_values):
        embeddings = self.patch_embeddings(pixel_values).flatten(2).transpose(1, 2)
        batch_size, seq_length, _ = embeddings.size()
        cls_tokens = self.cls_token.expand(batch_size, -1, -1)
        distillation_tokens = self.distillation_token.expand(batch_size, -1, -1)
        embeddings = torch.cat((cls_tokens, distillation_tokens, embeddings), dim=1)
        embeddings = embeddings + self.position_embeddings
        return self.dropout(embeddings)


class DeiTWithTeacher(nn.Module):
    """transformers DeiTForImageClassificationWithTeacher: DeiTModel(add_pooling_layer=False) (ViT layers, LN eps
    1e-12), logits = (cls_classifier(h[:, 0]) + distillation_classifier(h[:, 1])) / 2."""

    def __init__(self, hidden=32, heads=2, layers=2, mlp=64):
        super().__init__()
        self.embeddings = DeiTEmbeddings(hidden=hidden)
        self.layer = nn.ModuleList([ef.HFViTLayer(hidden, heads, mlp, 1e-12) for _ in range(layers)])
        self.layernorm = nn.LayerNorm(hidden, eps=1e-12)
        self.cls_classifier = nn.Linear(hidden, NUM_CLASSES)
        self.distillation_classifier = nn.Linear(hidden, NUM_CLASSES)

    def forward(self, pixel_values):
        h = self.embeddings(pixel_values)
        for layer in self.layer:
            h = layer(h)
        sequence_output = self.layernorm(h)
        cls_logits = self.cls_classifier(sequence_output[:, 0, :])
        distillation_logits = self.distillation_classifier(sequence_output[:, 1, :])
        return (cls_logits + distillation_logits) / 2


def fx_deit(d, name):
    seed = 9001
    gen = mhs.gen_for(seed)
    m = DeiTWithTeacher()
    ef.randomize(m, gen)
    m.eval()
    x = mhs.grad_x(2)
    proto = export(m, x, 11, ["pixel_values"], ["logits"], {"pixel_values": AXES_OLD, "logits": {0: "batch_size"}})
    concat3 = [n for n in proto.graph.node if n.op_type == "Concat" and len(n.input) == 3
               and any("Expand" in i for i in n.input)]
    assert len(concat3) == 1, "expected one 3-input Concat (cls, distillation, patches)"
    grad, _ = grad_fixture(d, m, x, seed + 1, "this model.onnx")
    (y,) = outputs_of(m, x)
    cfg = hf_cls_config("DeiTForImageClassificationWithTeacher", "deit", {
        "attention_probs_dropout_prob": 0.0, "encoder_stride": 16, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
        "hidden_size": 32, "image_size": IMAGE, "initializer_range": 0.02, "intermediate_size": 64,
        "layer_norm_eps": 1e-12, "num_attention_heads": 2, "num_channels": 3, "num_hidden_layers": 2,
        "patch_size": 16, "qkv_bias": True})
    return finish(d, name, proto, {
        "mimics": "Xenova/deit-base-distilled-patch16-224 onnx/model.onnx (optimum export of "
                  "facebook/deit-base-distilled-patch16-224, DeiTForImageClassificationWithTeacher)",
        "family": "vit", "classifier": True, "fixed_batch": None, "file_variant": "fp32",
        "prefix_tokens": 2,
        "features": "the final-LayerNorm output at token 0 (CLS) and token 1 (distillation token), the inputs of "
                    "the two Gemm heads (the file outputs only logits = their averaged Gemms); patch tokens are "
                    "h[:, 2:]",
        "notes": f"HF DeiT in plain torch (hidden 32, 2 layers, 2 heads, intermediate 64, patch 16, LN eps 1e-12, "
                 f"eager attention, Erf GELU), exported like optimum at opset 11: CLS and distillation tokens each "
                 f"expanded to the batch (Shape/Gather/Unsqueeze/Concat/ConstantOfShape/Equal/Where/Expand) and "
                 f"joined with the 196 patch tokens in ONE 3-input Concat (node {concat3[0].name}), position "
                 f"embeddings [1,198,32] added; logits = (Gemm(h[:,0]) + Gemm(h[:,1])) / 2 (Gather 0 / Gather 1 on "
                 f"axis 1, two Gemms, Add, Div by 2). pixel_values axes {AXES_OLD}, logits {{0: batch_size}}; "
                 f"fixed 198-token position embeddings: only 224x224 runs.",
        "seed": seed}, m, x, {"logits": y}, 1e-4, grad=grad,
        configs={"config.json": cfg, "preprocessor_config.json": DEIT_PREPROC})


# ==========================================================================
# 2. / 9. DINOv2 with registers; DINOv2 with an antialiased (opset 18) Resize
# ==========================================================================


class Dinov2Next(mhs.Dinov2Like):
    """mhs.Dinov2Like (HF Dinov2Model, 37x37 stored position grid resized bicubically at run time) with
    optional register tokens (Dinov2WithRegistersEmbeddings: inserted after the position add, between CLS and
    the patches) and optional antialias=True in the interpolation (transformers >= 4.48). pos_override: a
    [1,32,h,w] tensor used instead of the interpolated patch position grid (to build the oracle of a file whose
    Resize is evaluated elsewhere)."""

    def __init__(self, registers=0, antialias=False):
        super().__init__()
        self.antialias = antialias
        self.pos_override = None
        self.register_tokens = nn.Parameter(torch.randn(1, registers, 32) * 0.5) if registers else None

    def interpolate_pos_encoding(self, height, width):
        dim = self.position_embeddings.shape[-1]
        class_pos = self.position_embeddings[:, 0]
        patch_pos = self.position_embeddings[:, 1:].reshape(1, self.grid, self.grid, dim).permute(0, 3, 1, 2)
        if self.pos_override is not None:
            patch_pos = self.pos_override.to(patch_pos.dtype)
        else:
            kw = {"antialias": True} if self.antialias else {}
            patch_pos = F.interpolate(patch_pos, size=(height // self.patch, width // self.patch), mode="bicubic",
                                      align_corners=False, **kw)
        patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(1, -1, dim)
        return torch.cat((class_pos.unsqueeze(0), patch_pos), dim=1)

    def forward(self, pixel_values):
        b, _, height, width = pixel_values.shape
        x = self.patch_embeddings(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(b, -1, -1), x), dim=1)
        x = x + self.interpolate_pos_encoding(height, width)
        if self.register_tokens is not None:
            x = torch.cat((x[:, :1], self.register_tokens.expand(x.shape[0], -1, -1), x[:, 1:]), dim=1)
        for layer in self.layer:
            x = layer(x)
        seq = self.layernorm(x)
        return seq, seq[:, 0, :]


def resize_desc(proto):
    return "; ".join("Resize " + ", ".join(
        f"{a.name}={v.decode() if isinstance(v, bytes) else v}" for a in n.attribute
        for v in [helper.get_attribute_value(a)] if a.name != "nearest_mode")
        for n in proto.graph.node if n.op_type == "Resize")


DINO_AXES_OUT = {"last_hidden_state": {0: "batch_size", 1: "sequence_length"}, "pooler_output": {0: "batch_size"}}


def fx_dinov2_registers(d, name):
    seed = 9002
    gen = mhs.gen_for(seed)
    m = Dinov2Next(registers=4)
    mhs.randomize_extra(m, gen)
    m.eval()
    x = mhs.grad_x(2)
    dyn = {"pixel_values": AXES_OLD}
    dyn.update(DINO_AXES_OUT)
    proto = export(m, x, 14, ["pixel_values"], ["last_hidden_state", "pooler_output"], dyn)
    grad, _ = grad_fixture(d, m, x, seed + 1, "this model.onnx, output last_hidden_state (the first output)")
    seq, pooled = outputs_of(m, x)
    cfg = mhs.dinov2_config()
    cfg.update({"architectures": ["Dinov2WithRegistersModel"], "model_type": "dinov2_with_registers",
                "num_register_tokens": 4})
    cfg = dict(sorted(cfg.items()))
    return finish(d, name, proto, {
        "mimics": "onnx-community/dinov2-with-registers-small onnx/model.onnx (optimum feature-extraction export "
                  "of facebook/dinov2-with-registers-small, Dinov2WithRegistersModel)",
        "family": "vit", "classifier": False, "fixed_batch": None, "file_variant": "fp32",
        "prefix_tokens": 5,
        "features": "pooler_output = the layernormed CLS token [batch,32]; patch tokens are "
                    "last_hidden_state[:, 5:] (after CLS and the 4 registers, which carry no image content)",
        "notes": "The dinov2-features stand-in (patch 14, 16x16 patches at 224; hidden 32, 2 layers, 2 heads, layer "
                 "scale, LN eps 1e-6, eager attention, opset 14 -> LN decomposed; 1+37x37 stored position "
                 "embeddings, the 37x37 grid resized at run time by F.interpolate(size=(H//14, W//14), "
                 f"mode='bicubic', align_corners=False): {resize_desc(proto)}) plus 4 register tokens "
                 "[1,4,32], expanded to the batch and concatenated AFTER the position-embedding add: tokens = "
                 "cat(x[:, :1], registers, x[:, 1:]) -> 1 + 4 + 256 = 261 tokens (Slice [0:1], Slice [1:INT64_MAX], "
                 "3-input Concat). Outputs last_hidden_state [batch_size, sequence_length, 32] (after the final "
                 "LayerNorm) and pooler_output = last_hidden_state[:, 0]. Real transformers (>= 4.48) interpolates "
                 "with antialias=True, which opset 14 cannot express (see dinov2-antialias).",
        "seed": seed}, m, x, {"last_hidden_state": seq, "pooler_output": pooled}, 1e-4, grad=grad,
        configs={"config.json": cfg, "preprocessor_config.json": mhs.DINOV2_PREPROC})


OPSET18_CHANGED = {"ReduceMean", "ReduceL2", "ReduceL1", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceLogSum",
                   "ReduceLogSumExp", "ReduceSumSquare", "Split", "Pad", "ScatterND", "ScatterElements"}


def to_opset18_antialias(proto17):
    """Opset-17 ModelProto -> opset 18 with antialias=1 on every Resize. The graph must not use an op whose
    signature changed at 18 (asserted)."""
    m = copy.deepcopy(proto17)
    bad = sorted({n.op_type for n in m.graph.node} & OPSET18_CHANGED)
    assert not bad, f"ops changed at opset 18 present: {bad}"
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = 18
    m.ir_version = max(m.ir_version, 8)
    n_rs = 0
    for n in m.graph.node:
        if n.op_type == "Resize":
            n.attribute.append(helper.make_attribute("antialias", 1))
            n_rs += 1
    assert n_rs == 1
    return m


def ort_resize_output(proto, x):
    """Run proto in onnxruntime-node with the Resize's output added as a graph output; return that output."""
    m = copy.deepcopy(proto)
    rs = next(n for n in m.graph.node if n.op_type == "Resize")
    m.graph.output.append(helper.make_tensor_value_info(rs.output[0], TensorProto.FLOAT, None))
    import tempfile
    with tempfile.TemporaryDirectory() as td:
        p = os.path.join(td, "m.onnx")
        onnx.save(m, p)
        outs, _ = mhs.ort_run(p, {"pixel_values": x.numpy()})
    return outs[rs.output[0]]


def fx_dinov2_antialias(d, name):
    seed = 9009
    gen = mhs.gen_for(seed)
    m = Dinov2Next(antialias=True)
    mhs.randomize_extra(m, gen)
    m.eval()
    x = mhs.grad_x(2)
    dyn = {"pixel_values": AXES_OLD}
    dyn.update(DINO_AXES_OUT)
    m_plain = copy.deepcopy(m)
    m_plain.antialias = False  # torch 1.13 has no ONNX symbolic for _upsample_bicubic2d_aa
    proto17 = export(m_plain, x, 17, ["pixel_values"], ["last_hidden_state", "pooler_output"], dyn)
    proto = to_opset18_antialias(proto17)
    os.makedirs(d, exist_ok=True)
    import tempfile

    # (a) the opset-17 file (antialias off) in onnxruntime vs torch antialias=False: checks everything but the
    #     antialias filter to the usual 1e-4
    seq_n, pooled_n = outputs_of(m_plain, x)
    with tempfile.TemporaryDirectory() as td:
        p17 = os.path.join(td, "model17.onnx")
        onnx.save(proto17, p17)
        print("  (the opset-17 export before the edit, antialias off:)")
        diffs17, _ = mhs.ort_check(name + " (opset 17, no antialias)", p17, "pixel_values", x,
                                   {"last_hidden_state": seq_n, "pooler_output": pooled_n}, 1e-4,
                                   "torch antialias=False")
    # (b) the opset-18 antialias file: onnxruntime's output is the reference
    path = os.path.join(d, "model.onnx")
    onnx.save(proto, path)  # onnx 1.12's checker knows opset <= 17: not checked
    outs, info = mhs.ort_run(path, {"pixel_values": x.numpy()})
    seq_t, pooled_t = outputs_of(m, x)  # torch antialias=True
    ort_vs_torch_aa = {k: float(np.abs(outs[k].astype(np.float64) - v.double().numpy()).max())
                       for k, v in (("last_hidden_state", seq_t), ("pooler_output", pooled_t))}
    scale = {k: float(np.abs(outs[k]).max()) for k in outs}
    ort_vs_torch_noaa = {k: float(np.abs(outs[k].astype(np.float64) - v.double().numpy()).max())
                         for k, v in (("last_hidden_state", seq_n), ("pooler_output", pooled_n))}
    # the resized position grid itself: onnxruntime (ONNX antialias, cubic_coeff_a -0.75) vs torch (a -0.5)
    pos_ort = ort_resize_output(proto, x)
    with torch.no_grad():
        pe = m.position_embeddings[:, 1:].reshape(1, 37, 37, 32).permute(0, 3, 1, 2)
        pos_t = F.interpolate(pe, size=(16, 16), mode="bicubic", align_corners=False, antialias=True)
        pos_noaa = F.interpolate(pe, size=(16, 16), mode="bicubic", align_corners=False)
    pos_diff = float(np.abs(pos_ort - pos_t.numpy()).max())
    # the same Resize with torch's kernel (a = -0.5, support clipped to the input and renormalized) matches torch
    parity = copy.deepcopy(proto)
    for nd in parity.graph.node:
        if nd.op_type == "Resize":
            for at in nd.attribute:
                if at.name == "cubic_coeff_a":
                    at.f = -0.5
            nd.attribute.append(helper.make_attribute("exclude_outside", 1))
    pos_parity = float(np.abs(ort_resize_output(parity, x) - pos_t.numpy()).max())
    pos_diff_noaa = float(np.abs(pos_ort - pos_noaa.numpy()).max())
    pos_scale = float(pe.abs().max())
    for k in outs:
        print(f"  ort-node (opset 18, antialias=1) vs torch antialias=True: {k} max|diff|={ort_vs_torch_aa[k]:.3g} "
              f"(max|out|={scale[k]:.3g}); vs torch antialias=False {ort_vs_torch_noaa[k]:.3g}")
    print(f"  resized 16x16 position grid: ort vs torch-aa max|diff|={pos_diff:.3g}, vs torch no-aa "
          f"{pos_diff_noaa:.3g} (max|pos|={pos_scale:.3g}); with cubic_coeff_a=-0.5, exclude_outside=1 vs "
          f"torch-aa {pos_parity:.3g}")

    # gradient: torch antialias=True (as asked); also measured against the gradient of the model whose position
    # grid is onnxruntime's Resize output (the exact gradient of this file)
    grad, g = grad_fixture(d, m, x, seed + 1, "torch with F.interpolate(mode='bicubic', antialias=True, "
                                              "align_corners=False), output last_hidden_state (the first output); "
                                              "see check for its distance from this file")
    mhs.save_npy(os.path.join(d, "output.npy"), outs["last_hidden_state"])
    grad["max_abs_output"] = float(np.abs(outs["last_hidden_state"]).max())
    grad["definition"] = ("grad = torch.autograd.grad(<model(x), cotangent>, x) in float64 on the same weights, with "
                          "torch's antialiased bicubic position-embedding interpolation; output.npy = "
                          "onnxruntime-node's last_hidden_state of this file (float32)")
    m_ort = copy.deepcopy(m)
    m_ort.pos_override = torch.from_numpy(pos_ort.copy())
    g_ort = mhs.grad_oracle(FirstOutput(m_ort), x, torch.Generator().manual_seed(seed + 1))
    grad_gap = float((g["g64"] - g_ort["g64"]).abs().max())
    mhs.save_npy(os.path.join(d, "grad_exact.npy"), g_ort["g64"])
    grad["files"].append("grad_exact.npy")
    grad["grad_exact"] = ("grad_exact.npy: the same VJP (same x, cotangent) of the torch model whose 16x16 patch "
                          "position grid is onnxruntime's Resize output for this file -- the exact gradient of this "
                          "file (that model's output matches output.npy to "
                          f"{float((g_ort['out64'].numpy() - outs['last_hidden_state']).__abs__().max()):.2g}); "
                          f"grad.npy differs from it by up to {grad_gap:.3g}")
    out_gap = float((g_ort["out64"].numpy() - outs["last_hidden_state"].astype(np.float64)).__abs__().max())
    print(f"  grad: torch-aa vs with onnxruntime's position grid max|diff|={grad_gap:.3g} "
          f"(max|grad|={float(g['g64'].abs().max()):.3g}); that model's output vs ort {out_gap:.3g}")
    check_extra = {
        "_info": info,
        "reference": "onnxruntime-node output of this file (output.npy); torch antialias=True for grad.npy",
        "tolerance_rel": None,
        "note": "opset 18 cannot be exported by torch 1.13: the opset-17 export (antialias off) was checked against "
                "torch antialias=False to 1e-4 (opset17_vs_torch_no_antialias), then the opset import was set to 18 "
                "and antialias=1 added to the Resize (cubic_coeff_a -0.75 and exclude_outside 0 kept from the "
                "torch export). onnxruntime's antialiased cubic filter with those attributes is not torch's: "
                "torch's antialiased bicubic uses a=-0.5 and clips the (stretched) support to the input, "
                "renormalizing -- the same Resize with cubic_coeff_a=-0.5 and exclude_outside=1 matches torch "
                "(position_grid_parity_variant_vs_torch_antialias). Outputs differ by the numbers below (random, "
                "rough position embeddings make the gap larger than smooth trained ones would). The Resize only "
                "sees constant position embeddings, so x's gradient needs no Resize backward.",
        "opset17_vs_torch_no_antialias_max_abs": diffs17,
        "ort_antialias_vs_torch_antialias_max_abs": ort_vs_torch_aa,
        "ort_antialias_vs_torch_antialias_rel": {k: ort_vs_torch_aa[k] / scale[k] for k in outs},
        "ort_antialias_vs_torch_no_antialias_max_abs": ort_vs_torch_noaa,
        "max_abs_output": scale,
        "position_grid_16x16_ort_vs_torch_antialias_max_abs": pos_diff,
        "position_grid_16x16_ort_vs_torch_no_antialias_max_abs": pos_diff_noaa,
        "position_grid_max_abs": pos_scale,
        "position_grid_parity_variant_vs_torch_antialias": pos_parity,
        "grad_torch_antialias_vs_grad_with_ort_position_grid_max_abs": grad_gap,
        "max_abs_grad": float(g["g64"].abs().max()),
        "output_with_ort_position_grid_vs_ort_max_abs": out_gap,
    }
    cfg = dict(sorted(dict(mhs.dinov2_config(), transformers_version="4.48+ (stand-in)").items()))
    return finish(d, name, proto, {
        "mimics": "onnx-community/dinov2-small onnx/model.onnx exported from transformers >= 4.48 at opset 18, whose "
                  "position-embedding interpolation passes antialias=True (Resize-18 antialias=1)",
        "family": "vit", "classifier": False, "fixed_batch": None, "file_variant": "fp32",
        "prefix_tokens": 1,
        "features": "pooler_output = the layernormed CLS token [batch,32]; patch tokens last_hidden_state[:, 1:]",
        "notes": "DINOv2 as the dinov2-features stand-in (patch 14, 257 tokens at 224, hidden 32, 2 layers, 2 heads, "
                 "layer scale, eager attention) exported at opset 17 (LayerNormalization fused, so no Reduce* op "
                 "whose signature changed at 18) and edited: default-domain opset import 18, IR "
                 f"{proto.ir_version}, and antialias=1 on the position-embedding Resize ({resize_desc(proto)}; "
                 "'sizes' from Shape(pixel_values), 37x37 -> H//14 x W//14, a downscale at 224, so the filter "
                 "matters). No other node changed. Not checked by onnx 1.12's checker (opset 18 unknown to it). "
                 "torch 1.13 exports no antialias, so the torch module (F.interpolate(..., antialias=True)) is "
                 "not the exact oracle of this file: output.npy is onnxruntime's output, grad.npy torch's; "
                 "check gives the gaps.",
        "seed": seed, "_check_label": "onnxruntime-node (this file)"}, m, x, None, None, grad=grad,
        configs={"config.json": cfg, "preprocessor_config.json": mhs.DINOV2_PREPROC},
        saver=lambda p, path: None, check_extra=check_extra, skip_check=True)


# ==========================================================================
# 3. HF CLIPVisionModel / CLIPVisionModelWithProjection
# ==========================================================================


class CLIPVisionEmbeddings(nn.Module):
    def __init__(self, hidden=32, patch=32, image=IMAGE):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(hidden) * 0.5)
        self.patch_embedding = nn.Conv2d(3, hidden, patch, patch, bias=False)
        self.num_positions = (image // patch) ** 2 + 1
        self.position_embedding = nn.Embedding(self.num_positions, hidden)
        self.register_buffer("position_ids", torch.arange(self.num_positions).expand((1, -1)), persistent=False)

    def forward(self, pixel_values):
        batch_size = pixel_values.shape[0]
        patch_embeds = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        class_embeds = self.class_embedding.expand(batch_size, 1, -1)
        embeddings = torch.cat([class_embeds, patch_embeds], dim=1)
        return embeddings + self.position_embedding(self.position_ids)


class CLIPAttention(nn.Module):
    """transformers CLIPAttention (eager, the bmm form of transformers 4.2x-4.3x that optimum exported)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.embed_dim, self.num_heads, self.head_dim = dim, heads, dim // heads
        self.scale = self.head_dim ** -0.5
        self.k_proj, self.v_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.q_proj, self.out_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)

    def _shape(self, t, seq_len, bsz):
        return t.view(bsz, seq_len, self.num_heads, self.head_dim).transpose(1, 2).contiguous()

    def forward(self, hidden_states):
        bsz, tgt_len, embed_dim = hidden_states.size()
        query_states = self.q_proj(hidden_states) * self.scale
        key_states = self._shape(self.k_proj(hidden_states), -1, bsz)
        value_states = self._shape(self.v_proj(hidden_states), -1, bsz)
        proj_shape = (bsz * self.num_heads, -1, self.head_dim)
        query_states = self._shape(query_states, tgt_len, bsz).view(*proj_shape)
        key_states = key_states.view(*proj_shape)
        value_states = value_states.view(*proj_shape)
        attn_weights = torch.bmm(query_states, key_states.transpose(1, 2))
        attn_weights = F.softmax(attn_weights, dim=-1)
        attn_output = torch.bmm(attn_weights, value_states)
        attn_output = attn_output.view(bsz, self.num_heads, tgt_len, self.head_dim).transpose(1, 2)
        attn_output = attn_output.reshape(bsz, tgt_len, embed_dim)
        return self.out_proj(attn_output)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class CLIPEncoderLayer(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.self_attn = CLIPAttention(dim, heads)
        self.layer_norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.fc1, self.activation_fn, self.fc2 = nn.Linear(dim, mlp), QuickGELU(), nn.Linear(mlp, dim)
        self.layer_norm2 = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, h):
        h = h + self.self_attn(self.layer_norm1(h))
        return h + self.fc2(self.activation_fn(self.fc1(self.layer_norm2(h))))


class CLIPVisionModel(nn.Module):
    """transformers CLIPVisionModel (CLIPVisionTransformer): (last_hidden_state, pooler_output); with
    projection_dim: CLIPVisionModelWithProjection -> (image_embeds, last_hidden_state)."""

    def __init__(self, hidden=32, heads=2, layers=2, mlp=64, patch=32, projection_dim=None):
        super().__init__()
        self.embeddings = CLIPVisionEmbeddings(hidden, patch)
        self.pre_layrnorm = nn.LayerNorm(hidden, eps=1e-5)
        self.layers = nn.ModuleList([CLIPEncoderLayer(hidden, heads, mlp) for _ in range(layers)])
        self.post_layernorm = nn.LayerNorm(hidden, eps=1e-5)
        self.visual_projection = nn.Linear(hidden, projection_dim, bias=False) if projection_dim else None

    def forward(self, pixel_values):
        h = self.pre_layrnorm(self.embeddings(pixel_values))
        for layer in self.layers:
            h = layer(h)
        last_hidden_state = h
        pooled_output = self.post_layernorm(last_hidden_state[:, 0, :])
        if self.visual_projection is None:
            return last_hidden_state, pooled_output
        return self.visual_projection(pooled_output), last_hidden_state


def clip_vision_config(projection_dim):
    return {"attention_dropout": 0.0, "dropout": 0.0, "hidden_act": "quick_gelu", "hidden_size": 32,
            "image_size": IMAGE, "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 64,
            "layer_norm_eps": 1e-05, "model_type": "clip_vision_model", "num_attention_heads": 2,
            "num_channels": 3, "num_hidden_layers": 2, "patch_size": 32, "projection_dim": projection_dim}


def fx_clip(d, name, proj):
    seed = 9004 if proj else 9003
    gen = mhs.gen_for(seed)
    m = CLIPVisionModel(projection_dim=24 if proj else None)
    ef.randomize(m, gen)
    with torch.no_grad():
        randn_(m.embeddings.position_embedding.weight, gen, 0.5)
    m.eval()
    x = mhs.grad_x(2)
    names = ["image_embeds", "last_hidden_state"] if proj else ["last_hidden_state", "pooler_output"]
    dyn = {"pixel_values": AXES_OLD, "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
           names[0] if proj else "pooler_output": {0: "batch_size"}}
    proto = export(m, x, 14, ["pixel_values"], names, dyn)
    grad, _ = grad_fixture(d, m, x, seed + 1, f"this model.onnx, output {names[0]} (the first output)")
    ys = outputs_of(m, x)
    if proj:
        cfg = {"architectures": ["CLIPModel"], "initializer_factor": 1.0, "logit_scale_init_value": 2.6592,
               "model_type": "clip", "projection_dim": 24,
               "text_config": {"hidden_size": 32, "intermediate_size": 64, "max_position_embeddings": 77,
                               "model_type": "clip_text_model", "num_attention_heads": 2, "num_hidden_layers": 2,
                               "projection_dim": 24, "vocab_size": 49408},
               "transformers_version": "4.x (stand-in)", "vision_config": clip_vision_config(24)}
        mimics = ("Xenova/clip-vit-base-patch32 onnx/vision_model.onnx (optimum export of "
                  "CLIPVisionModelWithProjection of openai/clip-vit-base-patch32)")
        features = ("image_embeds = visual_projection(pooler_output) [batch,24], not normalized (CLIP divides by "
                    "its L2 norm before the similarity)")
        head = ("image_embeds = MatMul(post_layernorm(last_hidden_state[:,0]), W^T) with a [32,24] weight and NO "
                "bias (no Add after it), outputs (image_embeds {0: batch_size}, last_hidden_state {0: batch_size, "
                "1: sequence_length})")
    else:
        cfg = dict(clip_vision_config(24), architectures=["CLIPVisionModel"],
                   transformers_version="4.x (stand-in)")
        cfg = dict(sorted(cfg.items()))
        mimics = ("optimum feature-extraction export of transformers CLIPVisionModel (openai/clip-vit-base-patch32 "
                  "vision tower)")
        features = ("pooler_output = post_layernorm(last_hidden_state[:, 0]) [batch,32]; last_hidden_state is "
                    "BEFORE any final LayerNorm (CLIP has none on the sequence)")
        head = ("outputs last_hidden_state (encoder output, no final LayerNorm) and pooler_output = "
                "post_layernorm(last_hidden_state[:,0]) (Gather index 0 on axis 1, then LayerNorm)")
    return finish(d, name, proto, {
        "mimics": mimics, "family": "vit", "classifier": False, "fixed_batch": None, "file_variant": "fp32",
        "prefix_tokens": 1, "features": features,
        "notes": "HF CLIPVisionTransformer in plain torch (hidden 32, 2 layers, 2 heads, intermediate 64, patch 32 "
                 "-> 7x7+1 = 50 tokens, LN eps 1e-5), exported like optimum at opset 14 (LN decomposed): patch Conv "
                 "WITHOUT bias, class_embedding [32] expanded to [batch,1,32] and concatenated before the patches, "
                 "position_embedding(position_ids) added (a Gather of the [50,32] Embedding table by the constant "
                 "int64 position_ids [1,50]; not folded), pre_layrnorm BEFORE the encoder; layers: LN1 -> "
                 "attention (q_proj(x) * head_dim^-0.5, heads folded into the batch: Reshape to "
                 "[batch*heads, 50, 16], MatMul (bmm), Softmax, MatMul) -> residual, LN2 -> fc1 -> quick_gelu "
                 f"x*Sigmoid(1.702x) (Mul, Sigmoid, Mul) -> fc2 -> residual; {head}. pixel_values axes "
                 f"{AXES_OLD}; fixed 50-token positions: 224x224 only.",
        "seed": seed}, m, x, dict(zip(names, ys)), 1e-4, grad=grad,
        configs={"config.json": cfg, "preprocessor_config.json": CLIP_PREPROC})


# ==========================================================================
# 4. open_clip VisionTransformer (exported alone)
# ==========================================================================


class OCLayerNorm(nn.LayerNorm):
    """open_clip.transformer.LayerNorm (casts back to the input dtype)."""

    def forward(self, x):
        orig_type = x.dtype
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.to(orig_type)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model, n_head, mlp):
        super().__init__()
        self.ln_1 = OCLayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_head)  # batch_first=False: [L, N, D]
        self.ln_2 = OCLayerNorm(d_model)
        self.mlp = nn.Sequential(collections.OrderedDict([
            ("c_fc", nn.Linear(d_model, mlp)), ("gelu", nn.GELU()), ("c_proj", nn.Linear(mlp, d_model))]))

    def attention(self, x):
        return self.attn(x, x, x, need_weights=False, attn_mask=None)[0]

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class OpenCLIPVisual(nn.Module):
    """open_clip.transformer.VisionTransformer / OpenAI CLIP model.VisionTransformer forward (LND transformer,
    class embedding via zeros + add, ln_post on the CLS token, @ proj)."""

    def __init__(self, width=32, layers=2, heads=2, mlp=64, patch=16, output_dim=24, image=IMAGE):
        super().__init__()
        scale = width ** -0.5
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((image // patch) ** 2 + 1, width))
        self.ln_pre = OCLayerNorm(width)
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads, mlp) for _ in range(layers)])
        self.ln_post = OCLayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x):
        x = self.conv1(x)  # [*, width, grid, grid]
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)  # [*, grid**2, width]
        x = torch.cat([self.class_embedding.to(x.dtype)
                       + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device), x], dim=1)
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = x.permute(1, 0, 2)  # NLD -> LND
        for r in self.resblocks:
            x = r(x)
        x = x.permute(1, 0, 2)  # LND -> NLD
        x = self.ln_post(x[:, 0, :])
        return x @ self.proj


def fx_openclip(d, name):
    seed = 9005
    gen = mhs.gen_for(seed)
    m = OpenCLIPVisual()
    ef.randomize(m, gen)
    with torch.no_grad():
        randn_(m.class_embedding, gen, 0.5)
        randn_(m.positional_embedding, gen, 0.5)
        for b in m.resblocks:
            randn_(b.attn.in_proj_bias, gen, 0.1)
            randn_(b.attn.out_proj.bias, gen, 0.1)
    m.eval()
    x = mhs.grad_x(2)
    proto = export(m, x, 17, ["image"], ["embedding"], {"image": {0: "batch"}, "embedding": {0: "batch"}})
    grad, _ = grad_fixture(d, m, x, seed + 1, "this model.onnx")
    (y,) = outputs_of(m, x)
    ocfg = {"model_cfg": {"embed_dim": 24, "vision_cfg": {"image_size": IMAGE, "layers": 2, "width": 32,
                                                          "head_width": 16, "mlp_ratio": 2.0, "patch_size": 16}},
            "preprocess_cfg": {"mean": CLIP_MEAN, "std": CLIP_STD, "interpolation": "bicubic",
                               "resize_mode": "shortest"}}
    n_tr = sum(1 for n in proto.graph.node if n.op_type == "Transpose")
    return finish(d, name, proto, {
        "mimics": "open_clip ViT-B-16 (e.g. laion/CLIP-ViT-B-16-laion2B-s34B-b88K) model.visual exported alone with "
                  "torch.onnx.export (open_clip <= 2.23 / OpenAI CLIP forward: LND transformer)",
        "family": "vit", "classifier": False, "fixed_batch": None, "file_variant": "fp32",
        "prefix_tokens": 1,
        "features": "embedding = ln_post(CLS) @ proj [batch,24], not normalized (open_clip's encode_image("
                    "normalize=True) divides by the L2 norm)",
        "notes": "open_clip VisionTransformer in plain torch (width 32, 2 layers, 2 heads, mlp 64, patch 16 -> 197 "
                 "tokens (patch 16, not ViT-B-32's 32: a 32x32 conv1 at width 32 alone would be 393 KB), LN eps "
                 "1e-5, exact GELU as Erf), exported at opset 17 (LayerNormalization fused): "
                 "conv1 WITHOUT bias, Reshape + Transpose to NLD, class_embedding [32] + zeros(batch,1,32) "
                 "(ConstantOfShape + Add) concatenated before the patches, positional_embedding [197,32] added "
                 "(broadcast), ln_pre, Transpose NLD -> LND [197,N,32]; blocks use torch.nn.MultiheadAttention("
                 "batch_first=False) with the packed in_proj_weight [96,32]: torch 1.13's export MatMuls the "
                 "packed weight (a transposed [32,96] initializer) + Add in_proj_bias, chunks q/k/v with three "
                 "Slices whose bounds are computed at run time (Shape -> Gather -> Add -> Div -> Mul), Reshape to "
                 "[L, N*heads, 16] + Transpose, Div q by sqrt(16), MatMul with Transpose(k), Softmax, MatMul, "
                 "Transpose, Reshape to [L*N, 32], out_proj as a Gemm, Reshape back to [L, N, 32]; MLP c_fc -> GELU "
                 "-> c_proj; open_clip's LayerNorm (.to(orig_type)) leaves a Cast after every LayerNormalization; "
                 "Transpose LND -> NLD, Gather token 0, ln_post, MatMul by the [32,24] proj parameter "
                 f"(no bias). {n_tr} Transpose nodes. Input 'image' [batch,3,224,224], output 'embedding' "
                 "[batch,24] (dynamic_axes {0: 'batch'}). No HF configs; open_clip_config.json (as on the hub "
                 "repos) gives the CLIP mean/std.",
        "seed": seed}, m, x, {"embedding": y}, 1e-4, grad=grad, configs={"open_clip_config.json": ocfg})


# ==========================================================================
# 5. timm ViT with average pooling (class token / no class token)
# ==========================================================================


class TimmViTAvg(nn.Module):
    """timm VisionTransformer(global_pool='avg'): class_token True -> norm Identity, fc_norm LayerNorm on
    x[:, 1:].mean(1) (use_fc_norm default for 'avg'); class_token False with fc_norm=False (timm *_gap_* models)
    -> norm LayerNorm, x[:, 0:].mean(1), fc_norm Identity."""

    def __init__(self, class_token, dim=32, heads=2, depth=2, mlp=64, patch=16):
        super().__init__()
        self.num_prefix_tokens = 1 if class_token else 0
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.5) if class_token else None
        self.pos_embed = nn.Parameter(torch.randn(1, (IMAGE // patch) ** 2 + self.num_prefix_tokens, dim) * 0.5)
        self.blocks = nn.ModuleList([mhs.TimmBlock(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.Identity() if class_token else nn.LayerNorm(dim, eps=1e-6)
        self.fc_norm = nn.LayerNorm(dim, eps=1e-6) if class_token else nn.Identity()
        self.head = nn.Linear(dim, NUM_CLASSES)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos_embed
        for b in self.blocks:
            x = b(x)
        x = self.norm(x)
        x = x[:, self.num_prefix_tokens:].mean(dim=1)
        return self.head(self.fc_norm(x))


def fx_timm_avg(d, name, class_token):
    seed = 9006 if class_token else 9007
    gen = mhs.gen_for(seed)
    m = TimmViTAvg(class_token)
    ef.randomize(m, gen)
    m.eval()
    x = mhs.grad_x(2)
    proto = export(m, x, 17, ["x"], ["output"], {"x": {0: "batch_size"}, "output": {0: "batch_size"}})
    slices = []
    inits = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in proto.graph.node
              if n.op_type == "Constant"}
    consts.update(inits)
    for n in proto.graph.node:
        if n.op_type == "Slice" and all(i in consts for i in n.input[1:]):
            v = [consts[i].tolist() for i in n.input[1:]]
            slices.append(f"{n.name} " + " ".join(f"{k} {a}" for k, a in zip(("starts", "ends", "axes", "steps"), v)))
    rm = [n for n in proto.graph.node if n.op_type == "ReduceMean"]
    rm_desc = "; ".join(f"{n.name} " + ", ".join(f"{a.name}={helper.get_attribute_value(a)}" for a in n.attribute)
                        for n in rm)
    grad, _ = grad_fixture(d, m, x, seed + 1, "this model.onnx")
    (y,) = outputs_of(m, x)
    if class_token:
        mimics = ("timm vit_*_patch16_224 with global_pool='avg' (class token kept, fc_norm), e.g. "
                  "vit_base_patch16_clip_224 / BEiT-style heads, exported turnkey-style with a dynamic batch")
        features = ("fc_norm(mean of the patch tokens x[:, 1:]) [batch,32], the input of the head Gemm (the "
                    "file outputs logits)")
        pool = ("no final norm on the sequence (norm = Identity); head: x[:, 1:] (constant Slice to INT64_MAX) -> "
                "ReduceMean over tokens -> fc_norm LayerNormalization -> Gemm")
    else:
        mimics = ("timm vit_*_gap_* / class_token=False, global_pool='avg' (no CLS token; SigLIP-style token "
                  "averaging), exported turnkey-style with a dynamic batch")
        features = ("the mean over ALL tokens of norm(x) [batch,32], the input of the head Gemm (the file outputs "
                    "logits)")
        pool = ("no class token, pos_embed [1,196,32]; final LayerNormalization on every token (norm), then "
                "x[:, 0:].mean(1) -> ReduceMean over tokens (the no-op x[:, 0:] leaves no Slice; fc_norm Identity) "
                "-> Gemm")
    return finish(d, name, proto, {
        "mimics": mimics, "family": "vit", "classifier": True, "fixed_batch": None, "file_variant": "fp32",
        "prefix_tokens": 1 if class_token else 0, "features": features,
        "notes": f"timm VisionTransformer in plain torch (dim 32, depth 2, heads 2, mlp 64, patch 16, LN eps 1e-6; "
                 f"blocks as timm-vit-fixed-batch: fused qkv, unbind, SDPA as torch>=2.1 exports it), opset 17 "
                 f"(LayerNormalization fused); {pool}. Slices: {'; '.join(slices) or 'none'}. ReduceMean: "
                 f"{rm_desc}. Input 'x' [batch_size,3,224,224], output 'output' [batch_size,10].",
        "seed": seed}, m, x, {"output": y}, 1e-4, grad=grad)


# ==========================================================================
# 6. ConvNeXt V2 (HF ConvNextV2ForImageClassification)
# ==========================================================================


class LayerNorm2d(nn.LayerNorm):
    """channels-first LayerNorm as permute -> LayerNorm -> permute (timm LayerNorm2d; transformers >= 4.5x)."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class GRN(nn.Module):
    """transformers ConvNextV2GRN."""

    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, 1, 1, dim))
        self.bias = nn.Parameter(torch.zeros(1, 1, 1, dim))

    def forward(self, hidden_states):
        global_features = torch.norm(hidden_states, p=2, dim=(1, 2), keepdim=True)
        norm_features = global_features / (global_features.mean(dim=-1, keepdim=True) + 1e-6)
        return self.weight * (hidden_states * norm_features) + self.bias + hidden_states


class ConvNextV2Layer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.layernorm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.grn = GRN(4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)

    def forward(self, hidden_states):
        x = self.dwconv(hidden_states)
        x = x.permute(0, 2, 3, 1)
        x = self.pwconv2(self.grn(self.act(self.pwconv1(self.layernorm(x)))))
        x = x.permute(0, 3, 1, 2)
        return hidden_states + x


class ConvNextV2(nn.Module):
    def __init__(self, dims=(8, 16, 32, 64), depths=(1, 1, 1, 1)):
        super().__init__()
        self.patch_embeddings = nn.Conv2d(3, dims[0], 4, 4)
        self.embed_layernorm = LayerNorm2d(dims[0], eps=1e-6)
        stages = []
        cin = dims[0]
        for i, (dim, n) in enumerate(zip(dims, depths)):
            st = nn.Module()
            st.downsampling_layer = (nn.Sequential(LayerNorm2d(cin, eps=1e-6), nn.Conv2d(cin, dim, 2, 2)) if i > 0
                                     else nn.Identity())
            st.layers = nn.Sequential(*[ConvNextV2Layer(dim) for _ in range(n)])
            stages.append(st)
            cin = dim
        self.stages = nn.ModuleList(stages)
        self.layernorm = nn.LayerNorm(dims[-1], eps=1e-12)
        self.classifier = nn.Linear(dims[-1], NUM_CLASSES)

    def forward(self, pixel_values):
        h = self.embed_layernorm(self.patch_embeddings(pixel_values))
        for st in self.stages:
            h = st.layers(st.downsampling_layer(h))
        pooled = self.layernorm(h.mean([-2, -1]))
        return self.classifier(pooled)


CONVNEXT_DIMS, CONVNEXT_DEPTHS = (8, 16, 32, 64), (1, 1, 1, 1)


def fx_convnextv2(d, name):
    seed = 9008
    gen = mhs.gen_for(seed)
    m = ConvNextV2(CONVNEXT_DIMS, CONVNEXT_DEPTHS)
    ef.randomize(m, gen)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, GRN):
                randn_(mod.weight, gen, 0.5)
                randn_(mod.bias, gen, 0.1)
    m.eval()
    x = mhs.grad_x(2)
    proto = export(m, x, 14, ["pixel_values"], ["logits"], {"pixel_values": AXES_OLD, "logits": {0: "batch_size"}})
    l2 = [n for n in proto.graph.node if n.op_type == "ReduceL2"]
    assert len(l2) == sum(CONVNEXT_DEPTHS), "GRN must export as ReduceL2"
    l2_desc = ", ".join(f"{a.name}={helper.get_attribute_value(a)}" for a in l2[0].attribute)
    grad, _ = grad_fixture(d, m, x, seed + 1, "this model.onnx")
    (y,) = outputs_of(m, x)
    cfg = hf_cls_config("ConvNextV2ForImageClassification", "convnextv2", {
        "depths": list(CONVNEXT_DEPTHS), "drop_path_rate": 0.0, "hidden_act": "gelu",
        "hidden_sizes": list(CONVNEXT_DIMS), "image_size": IMAGE, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "num_channels": 3, "num_stages": 4, "patch_size": 4})
    return finish(d, name, proto, {
        "mimics": "onnx-community/convnextv2-atto-1k-224 style optimum export of facebook/convnextv2-atto-1k-224 "
                  "(ConvNextV2ForImageClassification)",
        "family": "cnn", "classifier": True, "fixed_batch": None, "file_variant": "fp32",
        "prefix_tokens": None,
        "features": "layernorm(global average of the last stage) [batch,64], the input of the classifier Gemm "
                    "(the file outputs logits)",
        "notes": f"HF ConvNeXt V2 in plain torch, dims {list(CONVNEXT_DIMS)}, depths {list(CONVNEXT_DEPTHS)}, "
                 f"opset 14 (every LayerNorm decomposed: ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add): stem "
                 f"Conv 4x4/4 + channels-first LayerNorm (Transpose to NHWC, LN, Transpose back); stages 2-4 start "
                 f"with channels-first LN + Conv 2x2/2; blocks: depthwise Conv 7x7 (group=dim, pads 3) -> Transpose "
                 f"NHWC -> LN (eps 1e-6) -> MatMul+Add (dim->4dim) -> Erf GELU -> GRN (ReduceL2 {l2_desc} = "
                 f"torch.norm(p=2, dim=(1,2)), / (ReduceMean over channels + 1e-6), gamma*(x*Nx) + beta + x; "
                 f"gamma/beta [1,1,1,4dim] random) -> MatMul+Add (4dim->dim) -> Transpose NCHW -> residual Add (no "
                 f"layer scale in V2); head ReduceMean over axes [-2,-1] (keepdims 0) -> LayerNorm (eps 1e-12) -> "
                 f"Gemm. pixel_values axes {AXES_OLD}; fully convolutional.",
        "seed": seed}, m, x, {"logits": y}, 1e-4, grad=grad,
        configs={"config.json": cfg, "preprocessor_config.json": CONVNEXT_PREPROC})


# ==========================================================================
# 7. ViT with external data
# ==========================================================================


def sanitize_location(name):
    """torch's exporter names per-tensor external-data files after the initializer, invalid chars -> '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def fx_vit_external(d, name, multi):
    m, gen, _, proto = mhs.build_vit("o17")
    x = mhs.grad_x(2)
    os.makedirs(d, exist_ok=True)
    grad, _ = grad_fixture(d, m, x, 8017 + 100, "this model.onnx (+ its external data)")
    (y,) = outputs_of(m, x)
    inits = list(proto.graph.initializer)
    if multi:
        locs = [sanitize_location(t.name) for t in inits]
        assert len(set(locs)) == len(locs)
        extra = sorted(locs)

        def saver(p, path):
            for t in p.graph.initializer:
                onnx.external_data_helper.set_external_data(t, sanitize_location(t.name))
            onnx.save_model(p, path)
    else:
        extra = ["model.onnx_data"]

        def saver(p, path):
            onnx.save_model(p, path, save_as_external_data=True, all_tensors_to_one_file=True,
                            location="model.onnx_data", size_threshold=0)
    how = (f"onnx.save_model with every initializer in its own file named after it (':' and other invalid "
           f"characters -> '_', as torch's exporter names them for > 2 GB models): {len(extra)} data files"
           if multi else
           "onnx.save_model(model, 'model.onnx', save_as_external_data=True, all_tensors_to_one_file=True, "
           "location='model.onnx_data', size_threshold=0): every initializer in one model.onnx_data")
    meta = finish(d, name, proto, {
        "mimics": "optimum / torch exports of models over 2 GB (model.onnx + model.onnx_data, or one file per "
                  "tensor), here with the optimum-vit-o17 structure",
        "family": "vit", "classifier": True, "fixed_batch": None, "file_variant": "fp32-external-data",
        "prefix_tokens": 1,
        "features": "the final-LayerNorm CLS token [batch,32], the input of the classifier Gemm (the file outputs "
                    "logits)",
        "notes": f"The optimum-vit-o17 stand-in (same seed 8017, same weights and graph; "
                 f"{mhs.vit_notes('o17')}) saved with its weights outside model.onnx: {how}. Each initializer "
                 f"carries data_location EXTERNAL with external_data location/offset/length entries; Constant "
                 f"nodes stay inline. The data files must sit next to model.onnx.",
        "seed": 8017}, m, x, {"logits": y}, 1e-4, grad=grad,
        configs={"config.json": mhs.vit_config(), "preprocessor_config.json": mhs.VIT_PREPROC},
        saver=saver, extra_files=extra)
    # the saved model.onnx really holds no weight bytes
    mp = onnx.load(os.path.join(d, "model.onnx"), load_external_data=False)
    assert all(t.data_location == TensorProto.EXTERNAL for t in mp.graph.initializer)
    onnx.checker.check_model(os.path.join(d, "model.onnx"))
    return meta


# ==========================================================================
# 8. EfficientNet-Lite4 (tf2onnx, NHWC, fixed batch 1, Softmax)
# ==========================================================================


def same_pads(k, s, size):
    """TF 'SAME' padding (top/left, bottom/right) for an input of `size`."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class _ZeroPad(torch.autograd.Function):
    """F.pad(x, (l, r, t, b)) exported as ONE Pad with a constant pads tensor (torch 1.13's opset-11 symbolic
    computes the pads with a Slice/Reshape/Cast chain), so fold_pads_into_conv can read it."""

    @staticmethod
    def forward(ctx, x, pads):
        return F.pad(x, pads)

    @staticmethod
    def symbolic(g, x, pads):
        l, r, t, b = pads
        return g.op("Pad", x, g.op("Constant", value_t=torch.tensor([0, 0, t, l, 0, 0, b, r], dtype=torch.int64)),
                    mode_s="constant")


class TFPad(nn.Module):
    def __init__(self, pads):
        super().__init__()
        self.pads = tuple(pads)

    def forward(self, x):
        return _ZeroPad.apply(x, self.pads) if torch.onnx.is_in_onnx_export() else F.pad(x, self.pads)


class TFConvBN(nn.Module):
    """TFLite Conv2D / DepthwiseConv2D with the BatchNorm folded into weight+bias, TF SAME padding, optional
    Relu6."""

    def __init__(self, cin, cout, k, s, size, groups=1, relu6=True):
        super().__init__()
        b, e = same_pads(k, s, size)
        self.pad = TFPad((b, e, b, e)) if b != e else nn.Identity()
        self.conv = nn.Conv2d(cin, cout, k, s, b if b == e else 0, groups=groups, bias=True)
        self.relu6 = relu6
        self.out_size = -(-size // s)

    def forward(self, x):
        x = self.conv(self.pad(x))
        return torch.clamp(x, 0.0, 6.0) if self.relu6 else x


class MBConvLite(nn.Module):
    """EfficientNet-Lite MBConv: no squeeze-excite, Relu6."""

    def __init__(self, cin, cout, e, k, s, size):
        super().__init__()
        mid = cin * e
        self.expand = TFConvBN(cin, mid, 1, 1, size) if e != 1 else None
        self.dw = TFConvBN(mid, mid, k, s, size, groups=mid)
        self.project = TFConvBN(mid, cout, 1, 1, self.dw.out_size, relu6=False)
        self.skip = s == 1 and cin == cout
        self.out_size = self.dw.out_size

    def forward(self, x):
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.dw(y))
        return y + x if self.skip else y


# efficientnet-lite4's stage layout (expand ratio, kernel, stride, out channels, repeats) with channels /~8 and
# repeats 1-2 (the real one: 32 stem, (1,3,1,24,2) (6,3,2,32,4) (6,5,2,56,4) (6,3,2,112,6) (6,5,1,160,6)
# (6,5,2,272,8) (6,3,1,448,2), head 1280)
EFFNET_STEM, EFFNET_HEAD = 8, 64
EFFNET_SETTING = [(1, 3, 1, 8, 1), (2, 3, 2, 12, 2), (2, 5, 2, 16, 2), (2, 3, 2, 24, 2), (2, 5, 1, 32, 1),
                  (2, 5, 2, 48, 2), (2, 3, 1, 64, 1)]


class EfficientNetLiteNHWC(nn.Module):
    def __init__(self):
        super().__init__()
        size = IMAGE
        self.stem = TFConvBN(3, EFFNET_STEM, 3, 2, size)
        size = self.stem.out_size
        blocks, cin = [], EFFNET_STEM
        for e, k, s, c, n in EFFNET_SETTING:
            for j in range(n):
                b = MBConvLite(cin, c, e, k, s if j == 0 else 1, size)
                blocks.append(b)
                size, cin = b.out_size, c
        self.blocks = nn.ModuleList(blocks)
        self.head = TFConvBN(cin, EFFNET_HEAD, 1, 1, size)
        self.dense_kernel = nn.Parameter(torch.randn(EFFNET_HEAD, NUM_CLASSES) / math.sqrt(EFFNET_HEAD))
        self.dense_bias = nn.Parameter(torch.randn(NUM_CLASSES) * 0.1)

    def forward(self, images):
        x = images.permute(0, 3, 1, 2)  # NHWC -> NCHW (tf2onnx's input Transpose)
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = self.head(x).mean((2, 3))
        return torch.softmax(torch.matmul(x, self.dense_kernel) + self.dense_bias, dim=-1)


def _const_value(graph, name):
    for t in graph.initializer:
        if t.name == name:
            return numpy_helper.to_array(t)
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return numpy_helper.to_array(n.attribute[0].t)
    raise KeyError(name)


def fold_pads_into_conv(model):
    """Pad(constant 0) -> Conv  =>  Conv with asymmetric `pads` (what tf2onnx writes for TF SAME padding)."""
    g = model.graph
    consumers = collections.defaultdict(list)
    for n in g.node:
        for i in n.input:
            consumers[i].append(n)
    drop = set()
    for n in g.node:
        if n.op_type != "Pad":
            continue
        (conv,) = consumers[n.output[0]]
        assert conv.op_type == "Conv"
        pads = _const_value(g, n.input[1]).tolist()
        assert pads[:2] == [0, 0] and pads[4:6] == [0, 0], pads
        if len(n.input) > 2 and n.input[2]:
            assert float(_const_value(g, n.input[2])) == 0.0
        mode = [a for a in n.attribute if a.name == "mode"]
        assert not mode or helper.get_attribute_value(mode[0]) == b"constant"
        conv.input[0] = n.input[0]
        for a in conv.attribute:
            if a.name == "pads":
                assert list(a.ints) == [0, 0, 0, 0]
                del a.ints[:]
                a.ints.extend([pads[2], pads[3], pads[6], pads[7]])
        drop.add(n.name)
    used = set()
    keep = [n for n in g.node if n.name not in drop]
    for n in keep:
        used.update(n.input)
    keep = [n for n in keep if not (n.op_type == "Constant" and n.output[0] not in used)]
    del g.node[:]
    g.node.extend(keep)
    return model


def tf2onnx_names(model, scope="efficientnet-lite4/model"):
    """Rename nodes, tensors and initializers the way tf2onnx names a converted TF graph: node names are TF op
    names (<scope>/blocks_3/depthwise_conv2d/depthwise), tensors '<op>:0', weights/biases after the op."""
    g = model.graph
    rename = {}
    counters = collections.Counter()
    torch_to_tf = {}
    for n in g.node:
        t = n.name  # torch 1.13: "/blocks.3/dw/conv/Conv", "/blocks.3/dw/Clip", "/Transpose", ...
        parts = [p for p in t.split("/") if p]
        mod = parts[:-1]
        if n.op_type == "Transpose":
            new = f"{scope}/stem/conv2d/Conv2D__5"
        elif n.op_type == "Softmax":
            new = "Softmax"
        elif n.op_type == "ReduceMean":
            new = f"{scope}/head/global_average_pooling2d/Mean"
        elif n.op_type == "MatMul":
            new = f"{scope}/head/dense/MatMul"
        elif n.op_type == "Add" and not mod:
            new = f"{scope}/head/dense/BiasAdd"
        elif mod and mod[0] == "stem":
            new = f"{scope}/stem/conv2d/Conv2D" if n.op_type == "Conv" else f"{scope}/stem/Relu6"
        elif mod and mod[0] == "head":
            new = f"{scope}/head/conv2d/Conv2D" if n.op_type == "Conv" else f"{scope}/head/Relu6"
        elif mod and mod[0].startswith("blocks."):
            i = int(mod[0].split(".")[1])
            b = f"{scope}/blocks_{i}"
            sub = mod[1] if len(mod) > 1 else None
            has_expand = EFFNET_BLOCK_HAS_EXPAND[i]
            if n.op_type == "Add":
                new = f"{b}/add"
            elif sub == "expand":
                new = f"{b}/conv2d/Conv2D" if n.op_type == "Conv" else f"{b}/Relu6"
            elif sub == "dw":
                new = f"{b}/depthwise_conv2d/depthwise" if n.op_type == "Conv" else \
                    (f"{b}/Relu6_1" if has_expand else f"{b}/Relu6")
            elif sub == "project":
                new = f"{b}/conv2d_1/Conv2D" if has_expand else f"{b}/conv2d/Conv2D"
            else:
                raise ValueError(t)
        else:
            raise ValueError(f"unmapped node {t} ({n.op_type})")
        assert new not in torch_to_tf.values(), new
        torch_to_tf[t] = new
        counters[new] += 1
        n.name = new
        for k, o in enumerate(n.output):
            if o not in ("Softmax:0",):
                rename[o] = f"{new}:0" if k == 0 else f"{new}:{k}"
    # initializers: conv weights/biases after their op, Clip bounds shared, dense kernel/bias
    for n in g.node:
        if n.op_type == "Conv":
            rename[n.input[1]] = f"{n.name}_weights_fused_bn"
            rename[n.input[2]] = f"{n.name}_bias_fused_bn"
        elif n.op_type == "MatMul":
            rename[n.input[1]] = f"{scope}/head/dense/MatMul/ReadVariableOp:0"
        elif n.op_type == "Add" and n.name.endswith("dense/BiasAdd"):
            for i in n.input:
                if any(t.name == i for t in g.initializer):
                    rename[i] = f"{scope}/head/dense/BiasAdd/ReadVariableOp:0"
        elif n.op_type == "Clip":
            rename[n.input[1]] = "Relu6__min:0"
            rename[n.input[2]] = "Relu6__max:0"
    for n in g.node:
        for k, i in enumerate(n.input):
            n.input[k] = rename.get(i, i)
        for k, o in enumerate(n.output):
            n.output[k] = rename.get(o, o)
    seen = set()
    keep = []
    for t in g.initializer:
        t.name = rename.get(t.name, t.name)
        if t.name not in seen:
            keep.append(t)
            seen.add(t.name)
    del g.initializer[:]
    g.initializer.extend(keep)
    for vi in list(g.value_info):
        vi.name = rename.get(vi.name, vi.name)
    return model


EFFNET_BLOCK_HAS_EXPAND = [e != 1 for e, k, s, c, n in EFFNET_SETTING for _ in range(n)]


def fx_efficientnet(d, name):
    seed = 9010
    gen = mhs.gen_for(seed)
    m = EfficientNetLiteNHWC()
    ef.randomize(m, gen)
    with torch.no_grad():  # folded-BN style weights: some Relu6 saturate at 6, some units at 0
        for mod in m.modules():
            if isinstance(mod, nn.Conv2d):
                fan_in = mod.weight[0].numel()
                randn_(mod.weight, gen, 1.6 / math.sqrt(fan_in))
                randn_(mod.bias, gen, 0.3, 0.2)
    m.eval()
    x = mhs.grad_x(1).permute(0, 2, 3, 1).contiguous()  # NHWC
    proto = export(m, x, 11, ["images:0"], ["Softmax:0"], check=False)
    proto = fold_pads_into_conv(proto)
    proto = mhs.clip_bounds_to_initializers(proto)
    proto = tf2onnx_names(proto)
    proto.ir_version = 6
    proto.producer_name, proto.producer_version = "tf2onnx", "stand-in (make_hub_standins_next.py)"
    del proto.graph.value_info[:]
    onnx.checker.check_model(proto, full_check=True)
    assert proto.graph.node[0].op_type == "Transpose" and proto.graph.node[-1].op_type == "Softmax"
    asym = [n.name for n in proto.graph.node if n.op_type == "Conv"
            for a in n.attribute if a.name == "pads" and list(a.ints[:2]) != list(a.ints[2:])]
    grad, _ = grad_fixture(d, m, x, seed + 1, "this model.onnx (x is NHWC [1,224,224,3])")
    (y,) = outputs_of(m, x)
    n_dw = sum(1 for n in proto.graph.node if n.op_type == "Conv"
               for a in n.attribute if a.name == "group" and a.i > 1)
    return finish(d, name, proto, {
        "mimics": "ONNX Model Zoo validated/vision/classification/efficientnet-lite4/model/efficientnet-lite4-11.onnx "
                  "(TF EfficientNet-Lite4 converted by tf2onnx, opset 11)",
        "family": "cnn", "classifier": True, "fixed_batch": 1, "file_variant": "fp32",
        "prefix_tokens": None,
        "features": "the global-average-pooled head features [1,64] (output of the ReduceMean, input of the "
                    "MatMul); the file outputs Softmax PROBABILITIES, not logits",
        "notes": f"EfficientNet-Lite (MBConv without squeeze-excite, Relu6, stem {EFFNET_STEM}, (e,k,s,c,n) "
                 f"{EFFNET_SETTING}, head {EFFNET_HEAD}) built in torch on an NHWC input and rewritten like tf2onnx: "
                 f"input 'images:0' FIXED [1,224,224,3] float32 NHWC, the first node a Transpose perm [0,3,1,2]; "
                 f"BatchNorm folded into Conv weight+bias; TF SAME padding as explicit Conv pads, asymmetric "
                 f"(top/left 0 or 1, bottom/right 1 or 2) on the {len(asym)} stride-2 convs; Relu6 as Clip with "
                 f"min/max initializer inputs (opset 11); {n_dw} depthwise convs (group = channels); residual Add "
                 f"where stride 1 and channels equal; ReduceMean axes [2,3] keepdims 0 (GlobalAveragePooling2D); "
                 f"dense as MatMul by a [64,10] kernel + Add bias; Softmax as the LAST op -> output 'Softmax:0' "
                 f"[1,10]. Node names TF-style (efficientnet-lite4/model/blocks_3/depthwise_conv2d/depthwise), "
                 f"tensors '<op>:0', IR 6, producer 'tf2onnx'. No config files (the real input expects "
                 f"(pixel - 127) / 128, RGB, NHWC).",
        "seed": seed}, m, x, {"Softmax:0": y}, 1e-4, grad=grad)


# ==========================================================================
# README rows
# ==========================================================================

README_HEADER = """# Hub stand-ins, next batch (`tests/fixtures/hub-next/`)

Random-weight **stand-ins** for more ONNX files from the model hubs, with the graph **structure** of the real
files and tiny widths (ViT hidden 32, 2 layers, 2 heads, MLP 64; CNN widths 8-64; 10 classes) at 224x224. Kept
apart from `tests/fixtures/hub/` (whose files a test suite picks up). Each folder has the model file(s),
`meta.json` (the fields of `tests/fixtures/hub/README.md` plus `prefix_tokens` -- tokens before the patches -- and
`features` -- which tensor a linear probe should read) and, where the real repo has them, HF config files.
"""

BEGIN = "<!-- make_hub_standins_next.py: begin -->"
END = "<!-- make_hub_standins_next.py: end -->"

README_ROWS = collections.OrderedDict([
    ("deit-distilled", "| `deit-distilled` | Xenova/deit-base-distilled-patch16-224 (DeiTForImageClassificationWithTeacher) | `pixel_values` [batch_size,num_channels,height,width] | opset 11; CLS + distillation token + patches in ONE 3-input Concat, pos-emb [1,198,32]; logits = (Gemm(h[:,0]) + Gemm(h[:,1])) / 2; prefix 2 |"),
    ("dinov2-registers", "| `dinov2-registers` | onnx-community/dinov2-with-registers-small | as deit | opset 14; 37x37 pos grid bicubic `Resize` (sizes from Shape); 4 registers concatenated AFTER the pos add (cls, registers, patches; 261 tokens); layer scale; `last_hidden_state` + `pooler_output` (LN'd CLS); prefix 5 |"),
    ("clip-vision-hf", "| `clip-vision-hf` | HF CLIPVisionModel (clip-vit-base-patch32) | as deit | opset 14; patch 32 (50 tokens), bias-free patch Conv, class_embedding concat, pre_layrnorm, bmm attention, quick_gelu (Sigmoid/Mul); `last_hidden_state` (no final LN) + `pooler_output` = post_layernorm(CLS); CLIP mean/std |"),
    ("clip-vision-proj-hf", "| `clip-vision-proj-hf` | Xenova/clip-vit-base-patch32 `vision_model.onnx` (CLIPVisionModelWithProjection) | as deit | as clip-vision-hf; outputs `image_embeds` [batch,24] = bias-free MatMul of the pooler, then `last_hidden_state` |"),
    ("openclip-visual", "| `openclip-visual` | open_clip ViT-B-16 `model.visual` exported alone | `image` [batch,3,224,224] | opset 17; nn.MultiheadAttention (packed in_proj, batch_first=False -> NLD/LND Transposes); zeros+class_embedding concat; ln_pre; ln_post(CLS) MatMul proj [32,24] (no bias) -> `embedding` [batch,24] |"),
    ("vit-avgpool-cls", "| `vit-avgpool-cls` | timm ViT global_pool='avg' with class token | `x` [batch_size,3,224,224] | opset 17; x[:,1:] Slice to INT64_MAX -> ReduceMean(axis 1) -> fc_norm LN -> Gemm; no final norm; output `output`; prefix 1 |"),
    ("vit-gap-noclass", "| `vit-gap-noclass` | timm ViT class_token=False, global_pool='avg' (SigLIP-style token mean) | `x` [batch_size,3,224,224] | opset 17; no CLS, pos-emb [1,196,32]; LN on all tokens -> ReduceMean(axis 1) -> Gemm; prefix 0 |"),
    ("convnextv2", "| `convnextv2` | facebook/convnextv2-atto-1k-224 (ConvNextV2ForImageClassification) | `pixel_values` [batch_size,num_channels,height,width] | opset 14; stem Conv 4/4 + channels-first LN (Transpose/LN/Transpose), dw Conv 7x7, NHWC MatMuls, GRN as ReduceL2 + ReduceMean, 2x2/2 downsample convs, ReduceMean[-2,-1] + LN + Gemm |"),
    ("vit-external-data", "| `vit-external-data` | any > 2 GB export: `model.onnx` + `model.onnx_data` | as optimum-vit-o17 | optimum-vit-o17 (same weights) with every initializer in model.onnx_data (size_threshold 0) |"),
    ("vit-external-data-multi", "| `vit-external-data-multi` | torch > 2 GB export, one file per tensor | as optimum-vit-o17 | same, one external-data file per initializer (names sanitized: `onnx__MatMul_…`) |"),
    ("efficientnet-lite-nhwc", "| `efficientnet-lite-nhwc` | Zoo efficientnet-lite4-11 (tf2onnx) | `images:0` **[1,224,224,3]** NHWC | fixed batch; opset 11, IR 6; input Transpose first; folded BN, asymmetric SAME pads on stride-2 convs; Relu6 as Clip; depthwise convs; ReduceMean[2,3]; MatMul+Add; **Softmax** last -> `Softmax:0` [1,10]; TF-style names |"),
    ("dinov2-antialias", "| `dinov2-antialias` | onnx-community/dinov2-small from transformers >= 4.48 (opset 18) | as deit | opset 18 (edited from an opset-17 export): Resize with `antialias=1`; LayerNormalization fused; not onnx-1.12-checkable; output.npy from onnxruntime, grad.npy from torch antialias (gap in meta check), grad_exact.npy the exact gradient of this file |"),
    ("resnetv2-bit-fixed-batch", "| `resnetv2-bit-fixed-batch` | Model Zoo turnkey resnetv2_50x1_bitm_in21k_Opset17_timm (BiT-M R50x1, ImageNet-21k) | `x` [1,3,224,224] | opset 17, **fixed batch 1**; StdConv2d = `BatchNormalization(training_mode=1)` on the reshaped constant weight, then Conv; GroupNorm as Reshape/InstanceNormalization/Reshape; pre-activation bottlenecks; Pad before MaxPool; 1x1 Conv classifier + Flatten |"),
])


def update_readme(root, names):
    path = os.path.join(root, "README.md")
    text = open(path).read() if os.path.exists(path) else README_HEADER
    rows = collections.OrderedDict()
    if BEGIN in text and END in text:
        pre, rest = text.split(BEGIN, 1)
        block, post = rest.split(END, 1)
        for line in block.splitlines():
            mm = re.match(r"\| `([^`]+)` \|", line)
            if mm and mm.group(1) in README_ROWS:
                rows[mm.group(1)] = line
    else:
        pre, post = text.rstrip("\n") + "\n\n", "\n"
    for n in names:
        rows[n] = README_ROWS[n]
    ordered = [rows[n] for n in README_ROWS if n in rows]
    block = (f"{BEGIN}\n### Written by `scripts/make_hub_standins_next.py`\n\n"
             "Regenerate (byte-identical; needs node + `node_modules/onnxruntime-node`):\n\n"
             "    /usr/bin/python3 scripts/make_hub_standins_next.py --out tests/fixtures/hub-next\n\n"
             "Every file was run by onnxruntime-node and compared with its torch module to 1e-4 relative (batch 2; "
             "batch 1 for the fixed-batch file), except `dinov2-antialias` (see its meta `check`). Every folder has "
             "gradient fixtures (`x.npy`, `cotangent.npy`, `output.npy`, `grad.npy`: grad = d<model(x), "
             "cotangent>/dx of the FIRST output, torch.autograd in float64; x [2,3,224,224] = the x.npy of "
             "tests/fixtures/hub, or [1,224,224,3] NHWC for efficientnet-lite-nhwc). Model files over 300 KB, "
             "forced by the real layouts at hidden 32: `clip-vision-hf` / `clip-vision-proj-hf` (~500 KB: the "
             "32x32 patch Conv alone is 393 KB) and `dinov2-registers` / `dinov2-antialias` (~350 KB: the 1+37x37 "
             "position table is 175 KB; tests/fixtures/hub/dinov2-features is 355 KB too).\n\n"
             "| fixture | stands for | input | special |\n|---|---|---|---|\n" + "\n".join(ordered) + f"\n{END}")
    with open(path, "w") as f:
        f.write(pre + block + post)


# ==========================================================================
# 9. BiT ResNetV2 (timm resnetv2_50x1_bitm_in21k, Model Zoo turnkey export)
# ==========================================================================


class StdConv2d(nn.Conv2d):
    """timm StdConv2d: the weight standardised per output channel on every call, through F.batch_norm in training
    mode (BiT's eps 1e-8) — exported as a BatchNormalization(training_mode=1) on a constant."""

    def forward(self, x):
        w = F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None, training=True, momentum=0.,
                         eps=1e-8).reshape_as(self.weight)
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)


class GroupNormAct(nn.GroupNorm):
    """timm GroupNormAct: GroupNorm(32 groups) + ReLU."""

    def forward(self, x):
        return F.relu(F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps))


class PreActBottleneck(nn.Module):
    """timm PreActBottleneck: norm1 -> (downsample StdConv 1x1 of the pre-activation) -> conv1 1x1 -> norm2 ->
    conv2 3x3 (stride) -> norm3 -> conv3 1x1, + shortcut."""

    def __init__(self, cin, cout, stride, groups):
        super().__init__()
        mid = cout // 4
        self.norm1 = GroupNormAct(groups, cin)
        self.downsample = StdConv2d(cin, cout, 1, stride=stride, bias=False) if stride != 1 or cin != cout else None
        self.conv1 = StdConv2d(cin, mid, 1, bias=False)
        self.norm2 = GroupNormAct(groups, mid)
        self.conv2 = StdConv2d(mid, mid, 3, stride=stride, padding=1, bias=False)
        self.norm3 = GroupNormAct(groups, mid)
        self.conv3 = StdConv2d(mid, cout, 1, bias=False)

    def forward(self, x):
        xp = self.norm1(x)
        shortcut = self.downsample(xp) if self.downsample is not None else x
        h = self.conv3(self.norm3(self.conv2(self.norm2(self.conv1(xp)))))
        return h + shortcut


class ResNetV2Bit(nn.Module):
    """timm ResNetV2 (BiT-M): 'fixed' stem StdConv 7x7/2 -> ConstantPad 1 -> MaxPool 3/2 (no padding), pre-activation
    bottleneck stages, final GroupNormAct, global average pool, classifier as a 1x1 Conv (use_conv head) + flatten."""

    def __init__(self, widths=(32, 64, 128, 256), groups=8, classes=1000):
        super().__init__()
        self.stem = StdConv2d(3, 16, 7, stride=2, padding=3, bias=False)
        blocks, cin = [], 16
        for i, w in enumerate(widths):
            blocks.append(PreActBottleneck(cin, w, 1 if i == 0 else 2, groups))
            cin = w
        self.stages = nn.Sequential(*blocks)
        self.norm = GroupNormAct(groups, cin)
        self.fc = nn.Conv2d(cin, classes, 1)

    def forward(self, x):
        h = F.max_pool2d(F.pad(self.stem(x), (1, 1, 1, 1)), 3, 2)
        h = self.norm(self.stages(h))
        return torch.flatten(self.fc(h.mean((2, 3), keepdim=True)), 1)


def fx_resnetv2_bit(d, name):
    seed = 9013
    gen = mhs.gen_for(seed)
    m = ResNetV2Bit()
    ef.randomize(m, gen)
    m.eval()
    x = mhs.grad_x(1)
    proto = export(m, x, 17, ["x"], ["output"])  # turnkey: fixed batch 1, input 'x'
    bn = [n for n in proto.graph.node if n.op_type == "BatchNormalization"]
    assert bn and all(helper.get_attribute_value(a) == 1 for n in bn for a in n.attribute if a.name == "training_mode"), \
        "StdConv2d must export as BatchNormalization(training_mode=1)"
    grad, _ = grad_fixture(d, m, x, seed + 1, "this model.onnx")
    (y,) = outputs_of(m, x)
    return finish(d, name, proto, {
        "mimics": "ONNX Model Zoo turnkey resnetv2_50x1_bitm_in21k_Opset17_timm (timm ResNetV2 BiT-M R50x1, "
                  "ImageNet-21k; the nearest public ONNX file to the LoR-VP paper's resnet50_21k)",
        "family": "resnet", "classifier": True, "fixed_batch": 1, "file_variant": "fp32", "prefix_tokens": None,
        "features": "global average of the final GroupNormAct [1,256], the input of the 1x1 Conv classifier",
        "notes": f"timm ResNetV2 (BiT) in plain torch, widths (32, 64, 128, 256), one pre-activation bottleneck per "
                 f"stage, GroupNorm 8 groups (BiT: 32), opset 17, batch fixed at 1 (turnkey): StdConv2d = "
                 f"BatchNormalization(training_mode=1, eps 1e-8) over the reshaped constant weight ({len(bn)} of "
                 f"them) then Conv; GroupNorm = Reshape/InstanceNormalization/Reshape/Mul/Add; stem pad as a Pad "
                 f"node before MaxPool; head ReduceMean -> 1x1 Conv -> Flatten.",
        "seed": seed}, m, x, {"output": y}, 1e-4, grad=grad)


# ==========================================================================

FIXTURES = collections.OrderedDict([
    ("deit-distilled", fx_deit),
    ("dinov2-registers", fx_dinov2_registers),
    ("clip-vision-hf", lambda d, n: fx_clip(d, n, False)),
    ("clip-vision-proj-hf", lambda d, n: fx_clip(d, n, True)),
    ("openclip-visual", fx_openclip),
    ("vit-avgpool-cls", lambda d, n: fx_timm_avg(d, n, True)),
    ("vit-gap-noclass", lambda d, n: fx_timm_avg(d, n, False)),
    ("convnextv2", fx_convnextv2),
    ("vit-external-data", lambda d, n: fx_vit_external(d, n, False)),
    ("vit-external-data-multi", lambda d, n: fx_vit_external(d, n, True)),
    ("efficientnet-lite-nhwc", fx_efficientnet),
    ("dinov2-antialias", fx_dinov2_antialias),
    ("resnetv2-bit-fixed-batch", fx_resnetv2_bit),
])


def main(argv=None):
    return mhs.run_cli(FIXTURES, "Write more random-weight stand-ins of real model-hub ONNX files.", "tests/fixtures/hub-next", argv, readme=update_readme)


if __name__ == "__main__":
    sys.exit(main())
