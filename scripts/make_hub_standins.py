#!/usr/bin/python3
"""Random-weight STAND-INS for the ONNX files users download from model hubs
(ONNX Model Zoo, transformers.js / optimum exports on the Hugging Face hub,
timm turnkey exports). The README's "Backbones from the model hubs" and
models/catalog.json say what the real files are and what loading does to them.

Each stand-in reproduces the graph STRUCTURE of a real file -- exporter
style, opset / IR version, input and output names and (symbolic) axes, op
types, BatchNorm folded or not, initializers listed as graph inputs, fp16 /
dynamically quantized variants -- with tiny widths (ViT hidden 32, 2 layers,
2 heads, MLP 64; CNN widths 8-64; 10 classes) so that the files stay small.
The input resolution is the real 224x224.

    /usr/bin/python3 scripts/make_hub_standins.py --out tests/fixtures/hub
    /usr/bin/python3 scripts/make_hub_standins.py --out tests/fixtures/hub --only zoo-resnet18-v1-7
    /usr/bin/python3 scripts/make_hub_standins.py --list

Output: one folder per fixture with the model file (model.onnx,
model_fp16.onnx or model_quantized.onnx), meta.json, and where the real repo
has them config.json / preprocessor_config.json. Gradient fixtures (x.npy,
cotangent.npy, output.npy, grad.npy: float32, C order; grad = torch.autograd
VJP of <model(x), cotangent> w.r.t. x in float64 on the same weights) for
zoo-resnet18-v1-7, optimum-vit-o14-sdpa and optimum-vit-fp16 (the latter: the
gradient of the float32 model it was converted from).

Every model is run by onnxruntime-node (node + node_modules/onnxruntime-node)
and compared with the torch module it was made from; the script fails if a
check fails. Seeds are fixed and torch runs single-threaded: re-running
rewrites the same bytes.

Requires Debian's torch 1.13 / torchvision 0.14 / onnx 1.12 / numpy.
"""
from __future__ import annotations

import argparse
import collections
import copy
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from torchvision.models.mobilenetv2 import MobileNetV2
from torchvision.ops.misc import Conv2dNormActivation

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import export_fixtures as ef  # noqa: E402  (TinyResNet, HFViT*, randomize, calibrate_bn)

IMAGE = 224
NUM_CLASSES = 10
# ImageNet-style class names (id2label of google/vit-base-patch16-224 / microsoft/resnet-50 look like this)
LABELS = ["tench, Tinca tinca", "goldfish, Carassius auratus",
          "great white shark, white shark, man-eater, man-eating shark, Carcharodon carcharias",
          "tiger shark, Galeocerdo cuvieri", "hammerhead, hammerhead shark", "electric ray, crampfish, numbfish, torpedo",
          "stingray", "cock", "hen", "ostrich, Struthio camelus"]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
RESCALE = 0.00392156862745098


# ==========================================================================
# Small helpers
# ==========================================================================


def gen_for(seed):
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def rand_input(gen, batch):
    return torch.randn((batch, 3, IMAGE, IMAGE), generator=gen, dtype=torch.float32)


GRAD_X_SEED = 224


def grad_x(batch):
    """The input of the gradient fixtures: the same float32 values in every folder (rows 0..batch-1 of one
    seeded [2,3,224,224] draw), so identical x.npy files are stored once by git."""
    return torch.randn((2, 3, IMAGE, IMAGE), generator=torch.Generator().manual_seed(GRAD_X_SEED))[:batch].clone()


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def save_npy(path, t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    np.save(path, np.ascontiguousarray(a.astype(np.float32)))


def op_counts(model):
    c = collections.Counter(n.op_type for n in model.graph.node)
    return {k: c[k] for k in sorted(c)}


def _dims(vi):
    out = []
    for d in vi.type.tensor_type.shape.dim:
        if d.HasField("dim_param"):
            out.append(d.dim_param)
        elif d.HasField("dim_value"):
            out.append(d.dim_value)
        else:
            out.append(None)
    return out


def io_desc(model):
    inits = {i.name for i in model.graph.initializer}
    ins = [vi for vi in model.graph.input if vi.name not in inits]
    elem = lambda vi: TensorProto.DataType.Name(vi.type.tensor_type.elem_type).lower()  # noqa: E731
    return ([{"name": vi.name, "shape": _dims(vi), "dtype": elem(vi)} for vi in ins],
            [{"name": vi.name, "shape": _dims(vi), "dtype": elem(vi)} for vi in model.graph.output])


def n_params(model):
    return int(sum(p.numel() for p in model.parameters()))


def torch_export(model, x, opset, input_names, output_names, dynamic_axes=None):
    """torch.onnx.export into memory; returns the ModelProto."""
    buf = io.BytesIO()
    kw = dict(input_names=input_names, output_names=output_names, opset_version=opset, do_constant_folding=True)
    if dynamic_axes:
        kw["dynamic_axes"] = dynamic_axes
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), buf, **kw)
    m = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(m, full_check=True)
    return m


def save_model(model, path):
    onnx.save(model, path)
    return os.path.getsize(path)


def grad_oracle(model, x, gen):
    """float32 forward + float64 VJP on a double copy of the same weights."""
    model.eval()
    with torch.no_grad():
        out32 = model(x)
    cot = torch.randn(out32.shape, generator=gen, dtype=torch.float32)
    m64 = copy.deepcopy(model).double().eval()
    for p in m64.parameters():
        p.requires_grad_(False)
    x64 = x.double().requires_grad_(True)
    with torch.enable_grad():
        out64 = m64(x64)
        (g64,) = torch.autograd.grad(out64, x64, cot.double())
    x32 = x.clone().requires_grad_(True)
    with torch.enable_grad():
        (g32,) = torch.autograd.grad(model(x32), x32, cot)
    return dict(out64=out64.detach(), cot=cot, g64=g64,
                fwd_f32_vs_f64=float((out64 - out32.double()).abs().max()),
                grad_f32_vs_f64=float((g64 - g32.double()).abs().max()))


def write_grad_files(d, x, g, source_note):
    save_npy(os.path.join(d, "x.npy"), x)
    save_npy(os.path.join(d, "cotangent.npy"), g["cot"])
    save_npy(os.path.join(d, "output.npy"), g["out64"])
    save_npy(os.path.join(d, "grad.npy"), g["g64"])
    return {
        "files": ["x.npy", "cotangent.npy", "output.npy", "grad.npy"],
        "x_shape": list(x.shape),
        "of": source_note,
        "definition": "grad = torch.autograd.grad(<model(x), cotangent>, x) evaluated in float64 on the same "
                      "(float32-valued) weights, stored as float32; output.npy = model(x) in float64, stored as float32",
        "max_abs_grad": float(g["g64"].abs().max()),
        "max_abs_output": float(g["out64"].abs().max()),
        "check_fwd_f32_vs_f64": g["fwd_f32_vs_f64"],
        "check_grad_f32_vs_f64": g["grad_f32_vs_f64"],
    }


# ==========================================================================
# onnxruntime-node check
# ==========================================================================

ORT_RUNNER = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(process.argv[3]);
const ort = require('onnxruntime-node');
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const session = await ort.InferenceSession.create(spec.model);
const feeds = {};
for (const f of spec.feeds) {
  const b = readFileSync(f.file);
  feeds[f.name] = new ort.Tensor('float32', new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), f.dims);
}
const out = await session.run(feeds);
const res = { inputNames: session.inputNames, outputNames: session.outputNames, outputs: {} };
for (const name of session.outputNames) {
  const t = out[name];
  const file = spec.out_dir + '/' + encodeURIComponent(name) + '.bin';
  writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  res.outputs[name] = { dims: t.dims, type: t.type, file };
}
console.log(JSON.stringify(res));
"""


def ort_run(model_path, feeds):
    """Run model_path in onnxruntime-node; feeds: name -> float32 ndarray. Returns (outputs, info)."""
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        raise SystemExit("node and node_modules/onnxruntime-node are needed for the onnxruntime check (npm ci)")
    with tempfile.TemporaryDirectory() as d:
        runner = os.path.join(d, "run.mjs")
        with open(runner, "w") as f:
            f.write(ORT_RUNNER)
        spec = {"model": os.path.abspath(model_path), "out_dir": d, "feeds": []}
        for i, (name, a) in enumerate(feeds.items()):
            p = os.path.join(d, f"in{i}.f32")
            np.ascontiguousarray(a, dtype=np.float32).tofile(p)
            spec["feeds"].append({"name": name, "file": p, "dims": list(a.shape)})
        sp = os.path.join(d, "spec.json")
        write_json(sp, spec)
        r = subprocess.run([node, runner, sp, os.path.join(REPO, "package.json")], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"onnxruntime-node failed on {model_path}:\n{r.stderr[-3000:]}")
        info = json.loads(r.stdout.strip().splitlines()[-1])
        outs = {}
        for name, o in info["outputs"].items():
            dt = {"float32": np.float32, "float16": np.float16, "int64": np.int64}[o["type"]]
            outs[name] = np.fromfile(o["file"], dtype=dt).reshape(o["dims"])
        return outs, info


def ort_check(name, model_path, input_name, x, expected, tol_rel, label="torch"):
    """expected: output name -> torch tensor. Prints and returns max abs diffs; raises on failure."""
    outs, info = ort_run(model_path, {input_name: x.numpy()})
    res = {}
    for oname, exp in expected.items():
        e = exp.detach().double().numpy()
        got = outs[oname].astype(np.float64)
        if got.shape != e.shape:
            raise RuntimeError(f"{name}: output {oname} has shape {got.shape}, {label} {e.shape}")
        diff = float(np.abs(got - e).max())
        scale = float(np.abs(e).max())
        res[oname] = diff
        ok = diff <= tol_rel * max(scale, 1e-6)
        print(f"  ort-node vs {label}: {oname} {list(got.shape)} max|diff|={diff:.3g} (max|out|={scale:.3g}, "
              f"tol {tol_rel:g} rel) {'OK' if ok else 'FAIL'}", flush=True)
        if not ok:
            raise RuntimeError(f"{name}: onnxruntime-node output {oname} differs from {label} by {diff}")
    return res, info


# ==========================================================================
# Hand-built MXNet/Gluon-style graphs (ONNX Model Zoo, opset 7 / 12)
# ==========================================================================


class ConvBN(nn.Module):
    """Gluon Conv2D (+bias if use_bias) -> BatchNorm -> optional relu / relu6 (clip)."""

    def __init__(self, cin, cout, k, s=1, p=0, groups=1, bias=False, act=None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, p, groups=groups, bias=bias)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act

    def forward(self, x):
        y = self.bn(self.conv(x))
        if self.act == "relu":
            y = F.relu(y)
        elif self.act == "relu6":
            y = torch.clamp(y, 0.0, 6.0)
        return y


class GluonBasicV1(nn.Module):
    """mxnet.gluon.model_zoo.vision.resnet.BasicBlockV1."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.ModuleList([ConvBN(cin, cout, 3, stride, 1, act="relu"), ConvBN(cout, cout, 3, 1, 1)])
        self.downsample = ConvBN(cin, cout, 1, stride) if cout != cin else None

    def forward(self, x):
        y = self.body[1](self.body[0](x))
        r = self.downsample(x) if self.downsample is not None else x
        return F.relu(y + r)


class GluonBottleneckV1(nn.Module):
    """mxnet.gluon.model_zoo.vision.resnet.BottleneckV1: stride on the FIRST 1x1 conv; the two 1x1 convs of
    the body keep Gluon's default use_bias=True, the 3x3 and the downsample conv have no bias."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        mid = cout // 4
        self.body = nn.ModuleList([ConvBN(cin, mid, 1, stride, 0, bias=True, act="relu"),
                                   ConvBN(mid, mid, 3, 1, 1, act="relu"),
                                   ConvBN(mid, cout, 1, 1, 0, bias=True)])
        self.downsample = ConvBN(cin, cout, 1, stride) if cout != cin else None

    def forward(self, x):
        y = x
        for m in self.body:
            y = m(y)
        r = self.downsample(x) if self.downsample is not None else x
        return F.relu(y + r)


class GluonResNetV1(nn.Module):
    def __init__(self, block, layers, channels, classes=NUM_CLASSES):
        super().__init__()
        self.stem = ConvBN(3, channels[0], 7, 2, 3, act="relu")
        stages = []
        cin = channels[0]
        for i, n in enumerate(layers):
            blocks = []
            for j in range(n):
                blocks.append(block(cin, channels[i + 1], (1 if i == 0 else 2) if j == 0 else 1))
                cin = channels[i + 1]
            stages.append(nn.ModuleList(blocks))
        self.stages = nn.ModuleList(stages)
        self.dense = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.max_pool2d(self.stem(x), 3, 2, 1)
        for st in self.stages:
            for b in st:
                x = b(x)
        return self.dense(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class GluonLinearBottleneck(nn.Module):
    """mxnet.gluon.model_zoo.vision.mobilenet.LinearBottleneck (expansion conv even for t=1)."""

    def __init__(self, cin, cout, t, stride):
        super().__init__()
        self.use_shortcut = stride == 1 and cin == cout
        self.out = nn.ModuleList([ConvBN(cin, cin * t, 1, act="relu6"),
                                  ConvBN(cin * t, cin * t, 3, stride, 1, groups=cin * t, act="relu6"),
                                  ConvBN(cin * t, cout, 1)])

    def forward(self, x):
        y = x
        for m in self.out:
            y = m(y)
        return y + x if self.use_shortcut else y


class GluonMobileNetV2(nn.Module):
    def __init__(self, stem, setting, last, classes=NUM_CLASSES):
        super().__init__()
        self.stem = ConvBN(3, stem, 3, 2, 1, act="relu6")
        blocks = []
        cin = stem
        for t, c, n, s in setting:
            for j in range(n):
                blocks.append(GluonLinearBottleneck(cin, c, t, s if j == 0 else 1))
                cin = c
        self.blocks = nn.ModuleList(blocks)
        self.last = ConvBN(cin, last, 1, act="relu6")
        self.pred = nn.Conv2d(last, classes, 1, bias=False)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = F.adaptive_avg_pool2d(self.last(x), 1)
        return self.pred(x).reshape(x.shape[0], -1)


class GluonOnnxBuilder:
    """Writes the graph the way the MXNet ONNX exporter did: MXNet-style node/tensor names
    (<prefix><scope><op><i>_fwd, <...>_weight/_gamma/_beta/_running_mean/_running_var), one node per
    Gluon layer, BatchNormalization not folded."""

    def __init__(self, prefix, opset):
        self.prefix, self.opset = prefix, opset
        self.nodes, self.inits = [], []
        self.count = collections.Counter()

    def uname(self, kind, scope=""):
        key = scope + kind
        i = self.count[key]
        self.count[key] += 1
        return f"{self.prefix}{scope}{kind}{i}"

    def init(self, name, t):
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(a), name))
        return name

    def add(self, op, inputs, name, out=None, **attrs):
        out = out or name + "_fwd"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def conv(self, conv, x, scope, kind="conv"):
        n = self.uname(kind, scope)
        ins = [x, self.init(n + "_weight", conv.weight)]
        if conv.bias is not None:
            ins.append(self.init(n + "_bias", conv.bias))
        k, s, p = conv.kernel_size, conv.stride, conv.padding
        return self.add("Conv", ins, n, dilations=[1, 1], group=conv.groups, kernel_shape=list(k),
                        pads=[p[0], p[1], p[0], p[1]], strides=list(s))

    def convbn(self, m, x, scope):
        y = self.conv(m.conv, x, scope)
        n = self.uname("batchnorm", scope)
        bn = m.bn
        attrs = dict(epsilon=float(bn.eps), momentum=0.9)
        if self.opset < 9:
            attrs["spatial"] = 1
        y = self.add("BatchNormalization", [y, self.init(n + "_gamma", bn.weight), self.init(n + "_beta", bn.bias),
                                            self.init(n + "_running_mean", bn.running_mean),
                                            self.init(n + "_running_var", bn.running_var)], n, **attrs)
        if m.act == "relu":
            y = self.add("Relu", [y], self.uname("relu", scope))
        elif m.act == "relu6":
            n = self.uname("relu6", scope)
            if self.opset < 11:
                y = self.add("Clip", [y], n, out=n + "_clip", min=0.0, max=6.0)
            else:
                y = self.add("Clip", [y, self.init(n + "_min", np.array(0.0, np.float32)),
                                      self.init(n + "_max", np.array(6.0, np.float32))], n, out=n + "_clip")
        return y

    def model(self, input_name, input_shape, output_name, output_shape, ir_version, inits_as_inputs, doc):
        graph_inputs = [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, input_shape)]
        if inits_as_inputs:  # IR < 4 requires it; the zoo's files converted to opset 12 kept it
            graph_inputs += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in self.inits]
        g = helper.make_graph(self.nodes, self.prefix.rstrip("_"), graph_inputs,
                              [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, output_shape)],
                              initializer=self.inits)
        m = helper.make_model(g, producer_name="make_hub_standins.py (MXNet Gluon ONNX-export style)",
                              opset_imports=[helper.make_opsetid("", self.opset)], doc_string=doc)
        m.ir_version = ir_version
        onnx.checker.check_model(m, full_check=True)
        return m


def emit_gluon_resnet(model, prefix, opset, batch_dim, ir_version, inits_as_inputs, doc):
    g = GluonOnnxBuilder(prefix, opset)
    y = g.convbn(model.stem, "data", "")
    y = g.add("MaxPool", [y], g.uname("pool"), kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    for si, st in enumerate(model.stages):
        scope = f"stage{si + 1}_"
        for b in st:
            x_in = y
            for m in b.body:
                y = g.convbn(m, y, scope)
            r = g.convbn(b.downsample, x_in, scope) if b.downsample is not None else x_in
            n = g.uname("_plus", scope)
            y = g.add("Add", [y, r], n, out=n)
            y = g.add("Relu", [y], g.uname("activation", scope))
    y = g.add("GlobalAveragePool", [y], g.uname("pool"))
    y = g.add("Flatten", [y], g.uname("flatten"), out=None, axis=1)
    n = g.uname("dense")
    out = g.add("Gemm", [y, g.init(n + "_weight", model.dense.weight), g.init(n + "_bias", model.dense.bias)], n,
                alpha=1.0, beta=1.0, transA=0, transB=1)
    return g.model("data", [batch_dim, 3, IMAGE, IMAGE], out, [batch_dim, NUM_CLASSES], ir_version,
                   inits_as_inputs, doc), out


def emit_gluon_mobilenetv2(model, opset, doc):
    g = GluonOnnxBuilder("mobilenetv20_", opset)
    y = g.convbn(model.stem, "data", "features_")
    for i, b in enumerate(model.blocks):
        scope = f"features_linearbottleneck{i}_"
        x_in = y
        for m in b.out:
            y = g.convbn(m, y, scope)
        if b.use_shortcut:
            y = g.add("Add", [y, x_in], g.prefix + scope + "elemwise_add0", out=g.prefix + scope + "elemwise_add0")
    y = g.convbn(model.last, y, "features_")
    y = g.add("GlobalAveragePool", [y], g.uname("pool", "features_"))
    y = g.conv(model.pred, y, "output_", kind="pred")
    shape = g.init(g.prefix + "output_flatten0_reshape0_shape", np.array([0, -1], dtype=np.int64))
    out = g.add("Reshape", [y, shape], g.prefix + "output_flatten0_reshape0", out=g.prefix + "output_flatten0_reshape0")
    return g.model("data", [1, 3, IMAGE, IMAGE], out, [1, NUM_CLASSES], 3, True, doc), out


# ==========================================================================
# torch architectures exported with torch.onnx.export
# ==========================================================================


class TVMobileNetV2Old(MobileNetV2):
    """torchvision MobileNetV2 with the forward of torchvision <= 0.4 (the one the zoo's -10/-12 files were
    exported from): adaptive_avg_pool2d(x, 1).reshape(x.shape[0], -1) -> GlobalAveragePool and a
    Shape/Gather/Unsqueeze/Concat/Reshape flatten."""

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).reshape(x.shape[0], -1)
        return self.classifier(x)


def make_tv_mobilenetv2():
    # torchvision's default block layout (7 stages, 17 blocks, the same stride-1 channel changes) with
    # channels x4 so that width_mult 0.25 gives 8..32 channels, expansion 2 instead of 6 and 64 head
    # channels instead of 1280: same Conv 52 / Clip 35 / Add 10 counts as the real file.
    setting = [[1, 64, 1, 1], [2, 64, 2, 2], [2, 64, 3, 2], [2, 64, 4, 2], [2, 96, 3, 1], [2, 96, 3, 2],
               [2, 128, 1, 1]]
    m = TVMobileNetV2Old(num_classes=NUM_CLASSES, width_mult=0.25, inverted_residual_setting=setting)
    cin = m.features[-1][0].in_channels
    m.features[-1] = Conv2dNormActivation(cin, 64, kernel_size=1, norm_layer=nn.BatchNorm2d,
                                          activation_layer=nn.ReLU6)
    m.last_channel = 64
    m.classifier[-1] = nn.Linear(64, NUM_CLASSES)
    return m, setting


def _sdpa_math(q, k, v):
    scale = 1.0 / math.sqrt(q.shape[-1])
    s = math.sqrt(scale)
    return torch.matmul(torch.softmax(torch.matmul(q * s, k.transpose(-2, -1) * s), dim=-1), v)


class _SdpaExport(torch.autograd.Function):
    """Exports as torch >= 2.1's symbolic_opset14.scaled_dot_product_attention (no mask, no dropout, scale None)."""

    @staticmethod
    def forward(ctx, q, k, v):
        return _sdpa_math(q, k, v)

    @staticmethod
    def symbolic(g, q, k, v):
        # _attention_scale(g, query)
        shape = g.op("Shape", q)
        last = g.op("Slice", shape, g.op("Constant", value_t=torch.tensor([-1], dtype=torch.int64)),
                    g.op("Constant", value_t=torch.tensor([9223372036854775807], dtype=torch.int64)))
        emb = g.op("Cast", last, to_i=TensorProto.FLOAT)
        one = g.op("Constant", value_t=torch.tensor([1.0], dtype=torch.float))
        scale = g.op("Cast", g.op("Div", one, g.op("Sqrt", emb)), to_i=TensorProto.FLOAT)
        kt = g.op("Transpose", k, perm_i=[0, 1, 3, 2])
        qs = g.op("Mul", q, g.op("Sqrt", scale))
        ks = g.op("Mul", kt, g.op("Sqrt", scale))
        w = g.op("Softmax", g.op("MatMul", qs, ks), axis_i=-1)
        return g.op("MatMul", w, v)


def sdpa_like(q, k, v):
    """F.scaled_dot_product_attention(q, k, v) (absent from torch 1.13). Under torch.onnx.export it is written
    the way torch >= 2.1's exporter writes it at opset >= 14: the scale 1/sqrt(E) is computed at run time,
    Shape(q) -> Slice[-1:] -> Cast -> Sqrt -> Div(1, .) -> Cast, and Sqrt(scale) multiplies q and Transpose(k)
    before the MatMul (emitted by a symbolic, so the exporter cannot constant-fold it even at a fixed shape)."""
    if torch.onnx.is_in_onnx_export():
        return _SdpaExport.apply(q, k, v)
    return _sdpa_math(q, k, v)


class HFViTSdpaSelfAttention(ef.HFViTSelfAttention):
    """transformers ViTSdpaSelfAttention (attn_implementation="sdpa")."""

    def forward(self, hidden_states):
        q = self.transpose_for_scores(self.query(hidden_states))
        k = self.transpose_for_scores(self.key(hidden_states))
        v = self.transpose_for_scores(self.value(hidden_states))
        ctx = sdpa_like(q, k, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.all_head_size,))


def make_hf_vit(sdpa, classifier=True):
    m = ef.HFViTForImageClassification(image=IMAGE, patch=16, hidden=32, heads=2, layers=2, mlp=64,
                                       num_classes=NUM_CLASSES)
    if sdpa:
        for layer in m.layer:
            old = layer.attention
            layer.attention = HFViTSdpaSelfAttention(32, 2)
            layer.attention.load_state_dict(old.state_dict())
    if not classifier:
        m = HFViTModel(m)
    return m


class HFViTModel(nn.Module):
    """transformers ViTModel (add_pooling_layer=True): (last_hidden_state, pooler_output)."""

    def __init__(self, cls_model):
        super().__init__()
        self.embeddings = cls_model.embeddings
        self.layer = cls_model.layer
        self.layernorm = cls_model.layernorm
        hidden = cls_model.layernorm.normalized_shape[0]
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, pixel_values):
        h = self.embeddings(pixel_values)
        for layer in self.layer:
            h = layer(h)
        seq = self.layernorm(h)
        return seq, torch.tanh(self.pooler(seq[:, 0]))


class TimmAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.num_heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        x = sdpa_like(q, k, v)  # timm fused_attn -> F.scaled_dot_product_attention
        return self.proj(x.transpose(1, 2).reshape(B, N, C))


class TimmBlock(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = TimmAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1, self.act, self.fc2 = nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class TimmViT(nn.Module):
    """timm.models.vision_transformer.VisionTransformer (class token, 'token' pooling, fused qkv)."""

    def __init__(self, dim=32, heads=2, depth=2, mlp=64, patch=16, classes=NUM_CLASSES):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.pos_embed = nn.Parameter(torch.randn(1, (IMAGE // patch) ** 2 + 1, dim) * 0.5)
        self.blocks = nn.ModuleList([TimmBlock(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos_embed
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x)[:, 0])


class Dinov2Layer(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attention = ef.HFViTSelfAttention(dim, heads)
        self.attention_output = nn.Linear(dim, dim)
        self.lambda1 = nn.Parameter(torch.ones(dim))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1, self.act, self.fc2 = nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim)
        self.lambda2 = nn.Parameter(torch.ones(dim))

    def forward(self, h):
        h = self.attention_output(self.attention(self.norm1(h))) * self.lambda1 + h
        return self.fc2(self.act(self.fc1(self.norm2(h)))) * self.lambda2 + h


class Dinov2Like(nn.Module):
    """transformers Dinov2Model: position embeddings stored for a 37x37 grid (518/14) and interpolated
    bicubically to the input's grid at run time (tracing always interpolates); pooler = layernormed CLS."""

    def __init__(self, dim=32, heads=2, depth=2, mlp=64, patch=14, grid=37):
        super().__init__()
        self.patch, self.grid = patch, grid
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.position_embeddings = nn.Parameter(torch.randn(1, 1 + grid * grid, dim) * 0.5)
        self.patch_embeddings = nn.Conv2d(3, dim, patch, patch)
        self.layer = nn.ModuleList([Dinov2Layer(dim, heads, mlp) for _ in range(depth)])
        self.layernorm = nn.LayerNorm(dim, eps=1e-6)

    def interpolate_pos_encoding(self, height, width):
        dim = self.position_embeddings.shape[-1]
        class_pos = self.position_embeddings[:, 0]
        patch_pos = self.position_embeddings[:, 1:].reshape(1, self.grid, self.grid, dim).permute(0, 3, 1, 2)
        patch_pos = F.interpolate(patch_pos, size=(height // self.patch, width // self.patch), mode="bicubic",
                                  align_corners=False)
        patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(1, -1, dim)
        return torch.cat((class_pos.unsqueeze(0), patch_pos), dim=1)

    def forward(self, pixel_values):
        b, _, height, width = pixel_values.shape
        x = self.patch_embeddings(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(b, -1, -1), x), dim=1)
        x = x + self.interpolate_pos_encoding(height, width)
        for layer in self.layer:
            x = layer(x)
        seq = self.layernorm(x)
        return seq, seq[:, 0, :]


def randomize_extra(model, gen):
    ef.randomize(model, gen)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("lambda1") or name.endswith("lambda2"):
                p.copy_(torch.rand(p.shape, generator=gen) * 0.8 + 0.4)


def calibrate(model, gen):
    ef.calibrate_bn(model, gen, IMAGE, batches=2, batch=3)
    model.eval()


# ==========================================================================
# fp16 conversion and dynamic quantization (what the hub's variants are made with)
# ==========================================================================


def _to_fp16_array(a):
    """onnxconverter_common.float16.convert_np_to_float16 (min_positive_val 1e-7, max_finite_val 1e4)."""
    a = a.astype(np.float32).copy()
    lo, hi = 1e-7, 1e4
    a = np.where((a > 0) & (a < lo), lo, a)
    a = np.where((a < 0) & (a > -lo), -lo, a)
    a = np.where((a > hi) & (a < np.inf), hi, a)
    a = np.where((a < -hi) & (a > -np.inf), -hi, a)
    return a.astype(np.float16)


def _tensor_to_fp16(t):
    if t.data_type != TensorProto.FLOAT:
        return t
    new = numpy_helper.from_array(_to_fp16_array(numpy_helper.to_array(t)), t.name)
    t.CopyFrom(new)
    return t


def convert_float_to_float16_keep_io(model):
    """Re-implementation of onnxconverter_common.float16.convert_float_to_float16(model, keep_io_types=True)
    for graphs without blocked ops: float initializers / Constant / ConstantOfShape tensors -> float16,
    Cast(to=FLOAT) -> Cast(to=FLOAT16), float value_info -> float16, and Casts at the float32 graph
    inputs (graph_input_cast_i) and outputs (graph_output_cast_i)."""
    m = copy.deepcopy(model)
    g = m.graph
    for t in g.initializer:
        _tensor_to_fp16(t)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                _tensor_to_fp16(a.t)
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    for vi in g.value_info:
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    inits = {t.name for t in g.initializer}
    pre, post = [], []
    for i, vi in enumerate(g.input):
        if vi.name in inits or vi.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        new = f"graph_input_cast_{i}"
        for n in g.node:
            for k, inp in enumerate(n.input):
                if inp == vi.name:
                    n.input[k] = new
        pre.append(helper.make_node("Cast", [vi.name], [new], name=f"graph_input_cast{i}", to=TensorProto.FLOAT16))
        v = copy.deepcopy(vi)
        v.name = new
        v.type.tensor_type.elem_type = TensorProto.FLOAT16
        g.value_info.append(v)
    for i, vo in enumerate(g.output):
        if vo.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        new = f"graph_output_cast_{i}"
        for n in g.node:
            for k, o in enumerate(n.output):
                if o == vo.name:
                    n.output[k] = new
        post.append(helper.make_node("Cast", [new], [vo.name], name=f"graph_output_cast{i}", to=TensorProto.FLOAT))
        v = copy.deepcopy(vo)
        v.name = new
        v.type.tensor_type.elem_type = TensorProto.FLOAT16
        g.value_info.append(v)
    nodes = pre + list(g.node) + post
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m, full_check=True)
    return m


def _quant_uint8(w):
    """onnxruntime.quantization per-tensor asymmetric QUInt8 (reduce_range False)."""
    rmin, rmax = min(0.0, float(w.min())), max(0.0, float(w.max()))
    scale = (rmax - rmin) / 255.0 if rmax > rmin else 1.0
    zp = int(np.clip(round(-rmin / scale), 0, 255))
    q = np.clip(np.round(w / scale) + zp, 0, 255).astype(np.uint8)
    return q, np.array(scale, dtype=np.float32), np.array(zp, dtype=np.uint8)


def quantize_dynamic_uint8(model):
    """Re-implementation of onnxruntime.quantization.quantize_dynamic(weight_type=QUInt8, per_channel=False)
    (IntegerOps): MatMul with an initializer weight -> DynamicQuantizeLinear(A) + MatMulInteger + Cast + Mul;
    Conv -> DynamicQuantizeLinear + ConvInteger + Cast + Mul (+ Reshape/Add for the bias). Activations
    are quantized once per tensor (shared by q/k/v). Gemm stays float (not in IntegerOpsRegistry)."""
    m = copy.deepcopy(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes, new_inits, dq_cache, done_w = [], [], {}, {}

    def quant_act(name):
        if name not in dq_cache:
            outs = [name + "_quantized", name + "_scale", name + "_zero_point"]
            new_nodes.append(helper.make_node("DynamicQuantizeLinear", [name], outs, name=name + "_QuantizeLinear"))
            dq_cache[name] = outs
        return dq_cache[name]

    def quant_w(name):
        if name not in done_w:
            q, s, z = _quant_uint8(numpy_helper.to_array(inits[name]))
            names = [name + "_quantized", name + "_scale", name + "_zero_point"]
            new_inits.extend(numpy_helper.from_array(a, n) for a, n in zip((q, s, z), names))
            done_w[name] = names
        return done_w[name]

    used = set()
    for n in g.node:
        is_mm = n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2
        is_conv = n.op_type == "Conv" and n.input[1] in inits
        if not (is_mm or is_conv):
            new_nodes.append(n)
            continue
        aq, as_, az = quant_act(n.input[0])
        wq, ws, wz = quant_w(n.input[1])
        used.add(n.input[1])
        base = n.name or n.output[0]
        iout = n.output[0] + "_output_quantized"
        if is_mm:
            new_nodes.append(helper.make_node("MatMulInteger", [aq, wq, az, wz], [iout], name=base + "_quant"))
        else:
            node = helper.make_node("ConvInteger", [aq, wq, az, wz], [iout], name=base + "_quant")
            node.attribute.extend(a for a in n.attribute)
            new_nodes.append(node)
        cast = iout + "_cast_output"
        new_nodes.append(helper.make_node("Cast", [iout], [cast], name=base + "_cast", to=TensorProto.FLOAT))
        smul = base + "_scales_mul:0"
        new_nodes.append(helper.make_node("Mul", [as_, ws], [smul], name=base + "_scales_mul"))
        if is_conv and len(n.input) > 2:
            scaled = n.output[0] + "_scaled_output"
            new_nodes.append(helper.make_node("Mul", [cast, smul], [scaled], name=base + "_output_scale_mul"))
            shp = n.input[2] + "_reshape_shape"
            new_inits.append(numpy_helper.from_array(np.array([1, -1, 1, 1], dtype=np.int64), shp))
            new_nodes.append(helper.make_node("Reshape", [n.input[2], shp], [n.input[2] + "_reshape_output"],
                                              name=base + "_bias_reshape"))
            new_nodes.append(helper.make_node("Add", [scaled, n.input[2] + "_reshape_output"], [n.output[0]],
                                              name=base + "_bias_add"))
        else:
            new_nodes.append(helper.make_node("Mul", [cast, smul], [n.output[0]], name=base + "_output_scale_mul"))
    del g.node[:]
    g.node.extend(new_nodes)
    still = {i for n in g.node for i in n.input}
    keep = [t for t in g.initializer if t.name in still]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    onnx.checker.check_model(m, full_check=True)
    return m


# ==========================================================================
# Config files of the HF repos
# ==========================================================================


def hf_labels():
    return ({str(i): s for i, s in enumerate(LABELS)}, {s: i for i, s in enumerate(LABELS)})


def vit_config(classifier=True):
    c = {"architectures": ["ViTForImageClassification" if classifier else "ViTModel"],
         "attention_probs_dropout_prob": 0.0, "encoder_stride": 16, "hidden_act": "gelu",
         "hidden_dropout_prob": 0.0, "hidden_size": 32}
    if classifier:
        c["id2label"], c["label2id"] = hf_labels()
    c.update({"image_size": IMAGE, "initializer_range": 0.02, "intermediate_size": 64, "layer_norm_eps": 1e-12,
              "model_type": "vit", "num_attention_heads": 2, "num_channels": 3, "num_hidden_layers": 2,
              "patch_size": 16, "qkv_bias": True, "transformers_version": "4.x (stand-in)"})
    return c


VIT_PREPROC = {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
               "image_processor_type": "ViTImageProcessor", "image_std": [0.5, 0.5, 0.5], "resample": 2,
               "rescale_factor": RESCALE, "size": {"height": IMAGE, "width": IMAGE}}

RESNET_PREPROC = {"crop_pct": 0.875, "do_normalize": True, "do_rescale": True, "do_resize": True,
                  "image_mean": IMAGENET_MEAN, "image_processor_type": "ConvNextImageProcessor",
                  "image_std": IMAGENET_STD, "resample": 3, "rescale_factor": RESCALE,
                  "size": {"shortest_edge": IMAGE}}

DINOV2_PREPROC = {"crop_size": {"height": IMAGE, "width": IMAGE}, "do_center_crop": True, "do_convert_rgb": True,
                  "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": IMAGENET_MEAN,
                  "image_processor_type": "BitImageProcessor", "image_std": IMAGENET_STD, "resample": 3,
                  "rescale_factor": RESCALE, "size": {"shortest_edge": 256}}


def resnet_config(widths, depths):
    c = {"architectures": ["ResNetForImageClassification"], "depths": depths, "downsample_in_bottleneck": False,
         "downsample_in_first_stage": False, "embedding_size": widths[0], "hidden_act": "relu",
         "hidden_sizes": [w * 4 for w in widths]}
    c["id2label"], c["label2id"] = hf_labels()
    c.update({"layer_type": "bottleneck", "model_type": "resnet", "num_channels": 3,
              "transformers_version": "4.x (stand-in)"})
    return c


# ==========================================================================
# Fixtures
# ==========================================================================

VIT_AXES_OLD = {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"}
VIT_AXES_NEW = {0: "batch_size", 2: "height", 3: "width"}


def finish(d, name, model_proto, fname, meta_extra, torch_model, x, expected, tol_rel, configs=None, grad=None):
    """Save the model, run the onnxruntime-node check, write meta.json (+ configs)."""
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, fname)
    size = save_model(model_proto, path)
    ins, outs = io_desc(model_proto)
    opset = next(o.version for o in model_proto.opset_import if o.domain in ("", "ai.onnx"))
    label = meta_extra.pop("_check_label", "torch")
    diffs, info = ort_check(name, path, ins[0]["name"], x, expected, tol_rel, label)
    meta = {"name": name, "file": fname}
    meta.update(meta_extra)
    meta.update({"opset": opset, "ir_version": model_proto.ir_version, "input": ins[0], "outputs": outs,
                 "input_size": IMAGE, "ops": op_counts(model_proto), "num_nodes": len(model_proto.graph.node),
                 "file_bytes": size})
    meta["check"] = {"runtime": "onnxruntime-node", "batch": int(x.shape[0]), "reference": label,
                     "tolerance_rel": tol_rel,
                     "session_input_names": info["inputNames"], "session_output_names": info["outputNames"]}
    if torch_model is not None:
        meta["num_parameters"] = n_params(torch_model)
    if grad is not None:
        meta["grad"] = grad
    write_json(os.path.join(d, "meta.json"), meta)
    for fn, obj in (configs or {}).items():
        write_json(os.path.join(d, fn), obj)
    print(f"{name:<24} opset {opset:<2} in {ins[0]['name']}{ins[0]['shape']} out "
          f"{[(o['name'], o['shape']) for o in outs]} {size / 1024:.0f} KiB; ops {meta['ops']}", flush=True)
    return meta


# ---- ONNX Model Zoo -------------------------------------------------------


def build_zoo_resnet18():
    gen = gen_for(7018)
    m = GluonResNetV1(GluonBasicV1, [2, 2, 2, 2], [8, 8, 16, 24, 32])
    ef.randomize(m, gen)
    calibrate(m, gen)
    return m, gen


def fx_zoo_resnet18(d, name):
    m, gen = build_zoo_resnet18()
    doc = "Stand-in for ONNX Model Zoo resnet18-v1-7 (MXNet Gluon resnet18_v1 export), random weights"
    proto, out = emit_gluon_resnet(m, "resnetv15_", 7, "N", 3, True, doc)
    assert out == "resnetv15_dense0_fwd"
    x = grad_x(2)
    g = grad_oracle(m, x, gen)
    os.makedirs(d, exist_ok=True)
    grad = write_grad_files(d, x, g, "this model.onnx")
    return finish(d, name, proto, "model.onnx", {
        "mimics": "ONNX Model Zoo validated/vision/classification/resnet/model/resnet18-v1-7.onnx "
                  "(MXNet Gluon resnet18_v1 exported at opset 7, 46.8 MB)",
        "family": "resnet", "classifier": True, "fixed_batch": None, "file_variant": "fp32",
        "notes": "Hand-built with onnx.helper from a torch Gluon-ResNetV1 (BasicBlockV1, layers [2,2,2,2], "
                 "channels 8-8-16-24-32): IR 3, every initializer also listed as a graph input, Conv without "
                 "bias + unfolded BatchNormalization (epsilon 1e-5, momentum 0.9, spatial 1) with random running "
                 "stats, MaxPool 3/2/1, Add residuals, GlobalAveragePool, Flatten, Gemm transB=1; MXNet-style "
                 "names. Input 'data' [N,3,224,224] (dim_param N). torch module is the oracle.",
        "seed": 7018}, m, x, {out: m(x)}, 1e-4, grad=grad)


def fx_zoo_resnet50_v1_12(d, name):
    gen = gen_for(7050)
    m = GluonResNetV1(GluonBottleneckV1, [3, 4, 6, 3], [8, 16, 32, 48, 64])
    ef.randomize(m, gen)
    calibrate(m, gen)
    doc = "Stand-in for ONNX Model Zoo resnet50-v1-12 (MXNet Gluon resnet50_v1, converted to opset 12)"
    proto, out = emit_gluon_resnet(m, "resnetv17_", 12, "N", 7, True, doc)
    x = rand_input(gen, 2)
    with torch.no_grad():
        y = m(x)
    return finish(d, name, proto, "model.onnx", {
        "mimics": "ONNX Model Zoo validated/vision/classification/resnet/model/resnet50-v1-12.onnx "
                  "(MXNet Gluon resnet50_v1, converted to opset 12; also resnet50-v1-7 at opset 7)",
        "family": "resnet", "classifier": True, "fixed_batch": None, "file_variant": "fp32",
        "notes": "Gluon ResNetV1 with BottleneckV1 -- v1, NOT v1.5: the stride sits on the first 1x1 conv of "
                 "the block as in mxnet.gluon.model_zoo; its two 1x1 body convs keep Gluon's default bias, the "
                 "3x3/downsample/stem convs have none. Layers [3,4,6,3] (same Conv 53 / BatchNormalization 53 "
                 "/ Relu 49 / Add 16 counts as the real file), channels 8-16-32-48-64. Unfolded "
                 "BatchNormalization (epsilon, momentum; no spatial at opset >= 9). IR 7 but the initializers "
                 "are still listed as graph inputs (assumed kept by the zoo's version conversion; onnxruntime "
                 "warns about it). Output resnetv17_dense0_fwd.",
        "seed": 7050}, m, x, {out: y}, 1e-4)


def fx_zoo_mobilenetv2_7(d, name):
    gen = gen_for(7072)
    # gluon mobilenetv2_1.0 block layout (17 LinearBottlenecks, same strides / stride-1 channel changes -> same
    # Conv 54 / BatchNormalization 53 / Clip 36 / Add 10 counts), channels /4 (8..32), t 2 instead of 6
    setting = [[1, 16, 1, 1], [2, 16, 2, 2], [2, 16, 3, 2], [2, 16, 4, 2], [2, 24, 3, 1], [2, 24, 3, 2], [2, 32, 1, 1]]
    m = GluonMobileNetV2(8, setting, 64)
    ef.randomize(m, gen)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):  # some ReLU6 units saturate at 6 (as export_fixtures does)
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) * 2.5 + 0.5)
    calibrate(m, gen)
    doc = "Stand-in for ONNX Model Zoo mobilenetv2-7 (MXNet Gluon mobilenetv2_1.0 export, opset 7)"
    proto, out = emit_gluon_mobilenetv2(m, 7, doc)
    assert out == "mobilenetv20_output_flatten0_reshape0"
    x = rand_input(gen, 1)
    with torch.no_grad():
        y = m(x)
    return finish(d, name, proto, "model.onnx", {
        "mimics": "ONNX Model Zoo validated/vision/classification/mobilenet/model/mobilenetv2-7.onnx "
                  "(MXNet Gluon MobileNetV2 1.0 export, opset 7)",
        "family": "cnn", "classifier": True, "fixed_batch": 1, "file_variant": "fp32",
        "notes": f"Hand-built: IR 3, initializers listed as graph inputs, input 'data' FIXED [1,3,224,224]. Gluon "
                 f"LinearBottleneck (1x1 expansion conv even for t=1, depthwise 3x3 conv with group=channels, "
                 f"linear 1x1 projection, Add when stride 1 and channels equal), stem 8, (t,c,n,s) {setting}, "
                 f"last conv 64; Conv without bias + unfolded BatchNormalization (spatial 1); ReLU6 as Clip with "
                 f"min/max ATTRIBUTES; GlobalAveragePool -> 1x1 Conv classifier 64->10 (no bias) -> Reshape with "
                 f"an initializer shape [0,-1] (Gluon Flatten). No Gemm.",
        "seed": 7072}, m, x, {out: y}, 1e-4)


def clip_bounds_to_initializers(model):
    """torch 1.13 writes every Clip-11+ bound as its own Constant node; the zoo's mobilenetv2-12 (Constant 1 in
    its op list) has them as initializers. Replace those Constants by two shared initializers."""
    consumers = collections.defaultdict(list)
    for n in model.graph.node:
        for k, i in enumerate(n.input):
            consumers[i].append((n.op_type, k))
    shared, rename, keep = {}, {}, []
    for n in model.graph.node:
        if n.op_type == "Constant" and consumers[n.output[0]] and \
                all(op == "Clip" and k in (1, 2) for op, k in consumers[n.output[0]]):
            a = numpy_helper.to_array(n.attribute[0].t)
            key = "clip_min" if all(k == 1 for _, k in consumers[n.output[0]]) else "clip_max"
            iname = f"{key}_{float(a):g}"
            if iname not in shared:
                shared[iname] = numpy_helper.from_array(a, iname)
            rename[n.output[0]] = iname
            continue
        keep.append(n)
    for n in keep:
        for k, i in enumerate(n.input):
            if i in rename:
                n.input[k] = rename[i]
    del model.graph.node[:]
    model.graph.node.extend(keep)
    model.graph.initializer.extend(shared.values())
    onnx.checker.check_model(model, full_check=True)
    return model


def fx_zoo_mobilenetv2_torch(d, name, opset):
    gen = gen_for(7100 + opset)
    m, setting = make_tv_mobilenetv2()
    ef.randomize(m, gen)
    calibrate(m, gen)
    x = rand_input(gen, 2)
    proto = torch_export(m, x, opset, ["input"], ["output"],
                         {"input": {0: "batch_size"}, "output": {0: "batch_size"}})
    if opset >= 11:
        proto = clip_bounds_to_initializers(proto)
    with torch.no_grad():
        y = m(x)
    clip = ("min/max attributes (Clip-6)" if opset < 11 else "min/max as inputs (Clip-11+; two shared initializers "
            "clip_min_0 / clip_max_6 instead of torch 1.13's per-node Constants)")
    return finish(d, name, proto, "model.onnx", {
        "mimics": f"ONNX Model Zoo validated/vision/classification/mobilenet/model/mobilenetv2-{opset}.onnx "
                  f"(torchvision MobileNetV2 exported by torch.onnx at opset {opset})",
        "family": "cnn", "classifier": True, "fixed_batch": None, "file_variant": "fp32",
        "notes": f"torch.onnx.export (eval, BN folded into Conv) of torchvision MobileNetV2(width_mult=0.25, "
                 f"inverted_residual_setting={setting}) with last conv 64 instead of 1280 and the old forward "
                 f"adaptive_avg_pool2d(x,1).reshape(x.shape[0],-1) (GlobalAveragePool + Shape/Gather/Unsqueeze/"
                 f"Concat/Reshape); ReLU6 as Clip with {clip}; Gemm head. Input 'input' [batch_size,3,224,224] "
                 f"via dynamic_axes, output 'output'.",
        "seed": 7100 + opset}, m, x, {"output": y}, 1e-4)


# ---- optimum / transformers.js ViT ---------------------------------------


VIT_VARIANTS = {
    "o11": dict(opset=11, sdpa=False, axes=VIT_AXES_OLD, seed=8011),
    "o14-sdpa": dict(opset=14, sdpa=True, axes=VIT_AXES_OLD, seed=8014),
    "o17": dict(opset=17, sdpa=True, axes=VIT_AXES_NEW, seed=8017),
}


def build_vit(variant):
    v = VIT_VARIANTS[variant]
    gen = gen_for(v["seed"])
    m = make_hf_vit(v["sdpa"])
    ef.randomize(m, gen)
    m.eval()
    x = rand_input(gen, 2)
    proto = torch_export(m, x, v["opset"], ["pixel_values"], ["logits"],
                         {"pixel_values": v["axes"], "logits": {0: "batch_size"}})
    return m, gen, x, proto


def vit_notes(variant):
    v = VIT_VARIANTS[variant]
    attn = ("SDPA as torch>=2.1 exports it: scale from Shape(q)->Slice->Cast->Sqrt->Div(1,.), Mul(q, sqrt(scale)), "
            "Mul(Transpose(k), sqrt(scale)), MatMul, Softmax, MatMul" if v["sdpa"] else
            "eager attention: MatMul(q, Transpose(k)), Div by the constant sqrt(16), Softmax, MatMul")
    ln = "LayerNormalization fused (opset 17)" if v["opset"] >= 17 else "LayerNorm decomposed (ReduceMean/Sub/Pow/Sqrt/Div)"
    ch = "channels symbolic too (old optimum)" if 1 in v["axes"] else "channels static 3 (current optimum-onnx)"
    return (f"HF ViTForImageClassification in plain torch (hidden 32, 2 layers, 2 heads, intermediate 64, patch 16, "
            f"196+1 tokens, LN eps 1e-12, exact GELU as Erf, CLS Gemm classifier), exported like optimum: "
            f"pixel_values axes {v['axes']} ({ch}), logits {{0: batch_size}}; CLS expand and head reshapes "
            f"through Shape/Gather/Unsqueeze/Concat/(ConstantOfShape/Equal/Where)/Expand; {attn}; {ln}. "
            f"The position embeddings are fixed (197 tokens): only 224x224 runs although height/width are symbolic.")


def fx_optimum_vit(d, name, variant):
    m, gen, x, proto = build_vit(variant)
    v = VIT_VARIANTS[variant]
    grad = None
    if variant == "o14-sdpa":
        os.makedirs(d, exist_ok=True)
        x = grad_x(2)
        grad = write_grad_files(d, x, grad_oracle(m, x, gen), "this model.onnx")
    with torch.no_grad():
        y = m(x)
    return finish(d, name, proto, "model.onnx", {
        "mimics": "Xenova/vit-base-patch16-224 onnx/model.onnx (optimum export of google/vit-base-patch16-224, "
                  f"347 MB) at opset {v['opset']}" + (" with SDPA attention (torch>=2.1)" if v["sdpa"] else ""),
        "family": "vit", "classifier": True, "fixed_batch": None, "file_variant": "fp32",
        "notes": vit_notes(variant), "seed": v["seed"]}, m, x, {"logits": y}, 1e-4,
        configs={"config.json": vit_config(), "preprocessor_config.json": VIT_PREPROC}, grad=grad)


def fx_optimum_vit_fp16(d, name):
    m, gen, x2, proto = build_vit("o11")
    fp16 = convert_float_to_float16_keep_io(proto)
    gen1 = torch.Generator().manual_seed(8111)
    x = grad_x(1)
    os.makedirs(d, exist_ok=True)
    g = grad_oracle(m, x, gen1)
    grad = write_grad_files(d, x, g,
                            "the FLOAT32 model this file was converted from (the optimum-vit-o11 stand-in, identical "
                            "weights before rounding to float16): check the fp16 file's gradient against it within "
                            "fp16 rounding (~1e-2 relative)")
    with torch.no_grad():
        y = m(x2)
    tmp = os.path.join(d, "model_fp16.onnx")
    save_model(fp16, tmp)
    print("  (grad fixture input, batch 1, vs output.npy:)")
    ort_check(name, tmp, "pixel_values", x, {"logits": g["out64"]}, 3e-2, "output.npy (float32 model)")
    return finish(d, name, fp16, "model_fp16.onnx", {
        "mimics": "Xenova/vit-base-patch16-224 onnx/model_fp16.onnx (173 MB; "
                  "onnxconverter_common.float16.convert_float_to_float16(keep_io_types=True))",
        "family": "vit", "classifier": True, "fixed_batch": None, "file_variant": "fp16",
        "converted_from": "optimum-vit-o11 (same seed 8011, same weights)",
        "notes": "The optimum-vit-o11 stand-in converted with this script's re-implementation of "
                 "convert_float_to_float16(keep_io_types=True): all float initializers and Constant tensors "
                 "float16 (values clamped to [1e-7, 1e4] in magnitude, so LN eps 1e-12 becomes 1e-7), Cast(to=FLOAT16) "
                 "'graph_input_cast0' after pixel_values (float32), Cast(to=FLOAT) 'graph_output_cast0' before "
                 "logits (float32). Compared with the float32 torch model loosely.",
        "seed": 8011, "_check_label": "torch float32 (source model)"}, m, x2, {"logits": y}, 3e-2,
        configs={"config.json": vit_config(), "preprocessor_config.json": VIT_PREPROC}, grad=grad)


def fx_optimum_vit_quantized(d, name):
    m, gen, x, proto = build_vit("o11")
    q = quantize_dynamic_uint8(proto)
    with torch.no_grad():
        y = m(x)
    return finish(d, name, q, "model_quantized.onnx", {
        "mimics": "Xenova/vit-base-patch16-224 onnx/model_quantized.onnx (88.3 MB; onnxruntime "
                  "quantize_dynamic, IntegerOps, QUInt8 weights because the model has a Conv)",
        "family": "vit", "classifier": True, "fixed_batch": None, "file_variant": "quantized",
        "converted_from": "optimum-vit-o11 (same seed 8011, same weights)",
        "notes": "The optimum-vit-o11 stand-in rewritten like onnxruntime dynamic quantization: every MatMul with "
                 "an initializer weight -> DynamicQuantizeLinear(activation, shared per tensor) + MatMulInteger("
                 "x_q, W_quantized uint8, x_zp, W_zero_point uint8) + Cast(to=FLOAT) + Mul(., Mul(x_scale, "
                 "W_scale)); the patch-embedding Conv -> DynamicQuantizeLinear + ConvInteger + Cast + Mul + "
                 "Add(Reshape(bias,[1,-1,1,1])). Weights per-tensor asymmetric uint8. Gemm classifier stays "
                 "float32. Compared with the float32 torch model loosely.",
        "seed": 8011, "_check_label": "torch float32 (source model)"}, m, x, {"logits": y}, 1.5e-1,
        configs={"config.json": vit_config(), "preprocessor_config.json": VIT_PREPROC})


# ---- optimum ResNet -------------------------------------------------------

RESNET_WIDTHS, RESNET_DEPTHS = (8, 12, 16, 24), [2, 2, 2, 2]


def build_optimum_resnet():
    gen = gen_for(8050)
    m = ef.TinyResNet(ef.Bottleneck, RESNET_DEPTHS, widths=RESNET_WIDTHS, num_classes=NUM_CLASSES)
    ef.randomize(m, gen)
    calibrate(m, gen)
    x = rand_input(gen, 2)
    proto = torch_export(m, x, 14, ["pixel_values"], ["logits"],
                         {"pixel_values": VIT_AXES_NEW, "logits": {0: "batch_size"}})
    return m, gen, x, proto


RESNET_NOTES = ("microsoft/resnet-50 structure (ResNetForImageClassification: 7x7/2 stem conv+BN+ReLU, MaxPool 3/2/1, "
                f"bottleneck v1.5 = stride on the 3x3, 1x1 conv+BN shortcut, stages {RESNET_DEPTHS} with bottleneck "
                f"widths {list(RESNET_WIDTHS)} (x4 out), GlobalAveragePool, Flatten, Gemm) as torchvision's "
                "Bottleneck ResNet, exported like optimum at opset 14: BatchNorm folded into Conv by the eval "
                "export, pixel_values {0: batch_size, 2: height, 3: width} (channels static), logits {0: batch_size}. "
                "Fully convolutional: other input sizes run too.")


def fx_optimum_resnet(d, name):
    m, gen, x, proto = build_optimum_resnet()
    with torch.no_grad():
        y = m(x)
    return finish(d, name, proto, "model.onnx", {
        "mimics": "Xenova/resnet-50 onnx/model.onnx (optimum export of microsoft/resnet-50, 102 MB)",
        "family": "resnet", "classifier": True, "fixed_batch": None, "file_variant": "fp32",
        "notes": RESNET_NOTES, "seed": 8050}, m, x, {"logits": y}, 1e-4,
        configs={"config.json": resnet_config(RESNET_WIDTHS, RESNET_DEPTHS),
                 "preprocessor_config.json": RESNET_PREPROC})


def fx_optimum_resnet_fp16(d, name):
    m, gen, x, proto = build_optimum_resnet()
    fp16 = convert_float_to_float16_keep_io(proto)
    with torch.no_grad():
        y = m(x)
    return finish(d, name, fp16, "model_fp16.onnx", {
        "mimics": "Xenova/resnet-50 onnx/model_fp16.onnx (51.1 MB; convert_float_to_float16(keep_io_types=True))",
        "family": "resnet", "classifier": True, "fixed_batch": None, "file_variant": "fp16",
        "converted_from": "optimum-resnet (same seed 8050, same weights)",
        "notes": "The optimum-resnet stand-in converted to float16 (weights, activations) with Casts at the float32 "
                 "input/output (graph_input_cast0 / graph_output_cast0). " + RESNET_NOTES,
        "seed": 8050, "_check_label": "torch float32 (source model)"}, m, x, {"logits": y}, 3e-2,
        configs={"config.json": resnet_config(RESNET_WIDTHS, RESNET_DEPTHS),
                 "preprocessor_config.json": RESNET_PREPROC})


# ---- timm, feature extractors ---------------------------------------------


def fx_timm_vit(d, name):
    gen = gen_for(8117)
    m = TimmViT()
    ef.randomize(m, gen)
    m.eval()
    x = rand_input(gen, 1)
    proto = torch_export(m, x, 17, ["x"], ["output"])
    with torch.no_grad():
        y = m(x)
    return finish(d, name, proto, "model.onnx", {
        "mimics": "onnx/models Computer_Vision/vit_small_patch16_224_Opset17_timm/*.onnx (turnkey export of timm "
                  "vit_small_patch16_224, torch 2.1, opset 17)",
        "family": "vit", "classifier": True, "fixed_batch": 1, "file_variant": "fp32",
        "notes": "timm VisionTransformer in plain torch (dim 32, depth 2, heads 2, mlp 64, patch 16, LN eps 1e-6): "
                 "fused qkv Linear -> reshape(B,N,3,H,hd).permute(2,0,3,1,4) -> unbind (Split + Squeeze), SDPA as "
                 "torch>=2.1 exports it, LayerNormalization fused, Gemm head on x[:, 0]. Exported WITHOUT "
                 "dynamic_axes at batch 1: input 'x' fixed [1,3,224,224]; shapes derived from x.shape are "
                 "constant-folded where the exporter could (see ops), so batch 1 is baked in.",
        "seed": 8117}, m, x, {"output": y}, 1e-4)


def fx_vit_in21k(d, name):
    gen = gen_for(8021)
    m = make_hf_vit(sdpa=False, classifier=False)
    ef.randomize(m, gen)
    m.eval()
    x = rand_input(gen, 2)
    proto = torch_export(m, x, 14, ["pixel_values"], ["last_hidden_state", "pooler_output"],
                         {"pixel_values": VIT_AXES_OLD, "last_hidden_state": {0: "batch_size"},
                          "pooler_output": {0: "batch_size"}})
    with torch.no_grad():
        seq, pooled = m(x)
    return finish(d, name, proto, "model.onnx", {
        "mimics": "Xenova/vit-base-patch16-224-in21k onnx/model.onnx (optimum feature-extraction export of "
                  "google/vit-base-patch16-224-in21k, the ViT-B/16-21K backbone of the LoR-VP paper)",
        "family": "vit", "classifier": False, "fixed_batch": None, "file_variant": "fp32",
        "notes": "HF ViTModel (add_pooling_layer=True) in plain torch, hidden 32, 2 layers, 2 heads, eager "
                 "attention, LN decomposed (opset 14), no classifier: last_hidden_state [batch_size,197,32] "
                 "(after the final LayerNorm) and pooler_output [batch_size,32] = tanh(Gemm(last_hidden_state"
                 "[:,0])). pixel_values axes {0: batch_size, 1: num_channels, 2: height, 3: width}; outputs declared "
                 "with only dim 0 named (as optimum's ViT config does), so the exporter invents the other symbolic "
                 "dims of last_hidden_state (Addlast_hidden_state_dim_1/2; 197 and 32 at run time).",
        "seed": 8021}, m, x, {"last_hidden_state": seq, "pooler_output": pooled}, 1e-4,
        configs={"config.json": vit_config(classifier=False), "preprocessor_config.json": VIT_PREPROC})


def dinov2_config():
    return {"architectures": ["Dinov2Model"], "attention_probs_dropout_prob": 0.0, "drop_path_rate": 0.0,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "hidden_size": 32, "image_size": 518,
            "initializer_range": 0.02, "layer_norm_eps": 1e-06, "layerscale_value": 1.0, "mlp_ratio": 2,
            "model_type": "dinov2", "num_attention_heads": 2, "num_channels": 3, "num_hidden_layers": 2,
            "patch_size": 14, "qkv_bias": True, "transformers_version": "4.x (stand-in)", "use_swiglu_ffn": False}


def fx_dinov2(d, name):
    gen = gen_for(8114)
    m = Dinov2Like()
    randomize_extra(m, gen)
    m.eval()
    x = rand_input(gen, 2)
    proto = torch_export(m, x, 14, ["pixel_values"], ["last_hidden_state", "pooler_output"],
                         {"pixel_values": VIT_AXES_OLD, "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
                          "pooler_output": {0: "batch_size"}})
    with torch.no_grad():
        seq, pooled = m(x)
    rs = [n for n in proto.graph.node if n.op_type == "Resize"]
    rs_desc = "; ".join("Resize " + ", ".join(
        f"{a.name}={v.decode() if isinstance(v, bytes) else v}" for a in n.attribute
        for v in [helper.get_attribute_value(a)] if a.name != "nearest_mode") for n in rs)
    return finish(d, name, proto, "model.onnx", {
        "mimics": "onnx-community/dinov2-small onnx/model.onnx (optimum feature-extraction export of "
                  "facebook/dinov2-small, 88.5 MB) in its variant that interpolates the position embeddings",
        "family": "vit", "classifier": False, "fixed_batch": None, "file_variant": "fp32",
        "notes": "DINOv2 (patch 14, 224 -> 16x16 = 256 patches + CLS = 257 tokens; hidden 32, 2 layers, 2 heads, "
                 "layer scale, LN eps 1e-6, eager attention, opset 14 -> LN decomposed): the stored 1+37x37 "
                 "position embeddings are resized at run time by F.interpolate(size=(H//14, W//14), "
                 f"mode='bicubic', align_corners=False) ({rs_desc}; constant input X, 'sizes' computed from "
                 "Shape(pixel_values) -> Gather -> Div -> Cast -> Concat, so other input sizes work too); outputs "
                 "last_hidden_state (after the final LayerNorm) and pooler_output = last_hidden_state[:,0]. "
                 "(Newer transformers pass antialias=True, which opset 14 cannot express.)",
        "seed": 8114}, m, x, {"last_hidden_state": seq, "pooler_output": pooled}, 1e-4,
        configs={"config.json": dinov2_config(), "preprocessor_config.json": DINOV2_PREPROC})


# ==========================================================================

FIXTURES = collections.OrderedDict([
    ("zoo-resnet18-v1-7", fx_zoo_resnet18),
    ("zoo-resnet50-v1-12", fx_zoo_resnet50_v1_12),
    ("zoo-mobilenetv2-7", fx_zoo_mobilenetv2_7),
    ("zoo-mobilenetv2-10", lambda d, n: fx_zoo_mobilenetv2_torch(d, n, 10)),
    ("zoo-mobilenetv2-12", lambda d, n: fx_zoo_mobilenetv2_torch(d, n, 12)),
    ("optimum-vit-o11", lambda d, n: fx_optimum_vit(d, n, "o11")),
    ("optimum-vit-o14-sdpa", lambda d, n: fx_optimum_vit(d, n, "o14-sdpa")),
    ("optimum-vit-o17", lambda d, n: fx_optimum_vit(d, n, "o17")),
    ("optimum-resnet", fx_optimum_resnet),
    ("timm-vit-fixed-batch", fx_timm_vit),
    ("vit-in21k-features", fx_vit_in21k),
    ("dinov2-features", fx_dinov2),
    ("optimum-vit-fp16", fx_optimum_vit_fp16),
    ("optimum-resnet-fp16", fx_optimum_resnet_fp16),
    ("optimum-vit-quantized", fx_optimum_vit_quantized),
])


def run_cli(fixtures, description, default_out, argv=None, readme=None):
    """The command line of the stand-in scripts: --out, --only, --list (and --no-readme when `readme`, a
    function (out, names) that rewrites the folder's README block, is given); writes each fixture afresh."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out", default=default_out, help="output root (one folder per fixture)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="write only these fixtures")
    p.add_argument("--list", action="store_true", help="list fixture names and exit")
    if readme:
        p.add_argument("--no-readme", action="store_true", help="do not touch <out>/README.md")
    a = p.parse_args(argv)
    if a.list:
        print("\n".join(fixtures))
        return 0
    names = a.only or list(fixtures)
    unknown = [n for n in names if n not in fixtures]
    if unknown:
        p.error(f"unknown fixture(s): {', '.join(unknown)}; known: {', '.join(fixtures)}")
    torch.set_num_threads(1)  # reproducible float summation order
    for n in names:
        d = os.path.join(a.out, n)
        if os.path.isdir(d):
            shutil.rmtree(d)
        fixtures[n](d, n)
    if readme and not a.no_readme:
        readme(a.out, names)
    return 0


def main(argv=None):
    return run_cli(FIXTURES, "Write random-weight stand-ins of real model-hub ONNX files.", "tests/fixtures/hub", argv)


if __name__ == "__main__":
    sys.exit(main())
