"""Tiny random-weight backbones for the tests — torchvision's own classes (VisionTransformer; ResNet narrowed to
8…64 channels) and stand-ins with the public module layout of a timm VisionTransformer and of a transformers
ViTForImageClassification (neither library is installed here) — plus their ONNX export, as the studio loads them."""
from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock, ResNet
from torchvision.models.vision_transformer import VisionTransformer

VIT = dict(image=16, patch=4, depth=2, heads=2, width=16, mlp=32, classes=10)


def _liven(m: nn.Module, g: torch.Generator) -> None:
    """Non-trivial LayerNorms and biases (torchvision zero-initialises heads, class token, attention biases)."""
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=g) + 0.5)
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
            elif isinstance(mod, nn.Linear):
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) / math.sqrt(mod.in_features))
                if mod.bias is not None:
                    mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
            elif isinstance(mod, nn.MultiheadAttention):
                mod.in_proj_bias.copy_(torch.randn(mod.in_proj_bias.shape, generator=g) * 0.1)


def tv_vit(seed: int = 1) -> VisionTransformer:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    m = VisionTransformer(image_size=VIT["image"], patch_size=VIT["patch"], num_layers=VIT["depth"], num_heads=VIT["heads"],
                          hidden_dim=VIT["width"], mlp_dim=VIT["mlp"], num_classes=VIT["classes"])
    _liven(m, g)
    with torch.no_grad():
        m.class_token.copy_(torch.randn(m.class_token.shape, generator=g) * 0.5)
        m.encoder.pos_embedding.copy_(torch.randn(m.encoder.pos_embedding.shape, generator=g) * 0.2)
        m.conv_proj.weight.mul_(2.0)
    return m.eval()


def tv_resnet(seed: int = 2, widths=(8, 16, 32, 64), classes: int = 10) -> ResNet:
    """torchvision.models.ResNet (BasicBlock, one per stage) narrowed to `widths`; input 32×32."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    m = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=classes)
    m.inplanes = widths[0]
    m.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
    m.bn1 = nn.BatchNorm2d(widths[0])
    for i, w in enumerate(widths):
        setattr(m, f"layer{i + 1}", m._make_layer(BasicBlock, w, 1, stride=1 if i == 0 else 2))
    m.fc = nn.Linear(widths[-1], classes)
    bns = [b for b in m.modules() if isinstance(b, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:  # running statistics from random images, then random affine: eval BN is not an identity
            bn.weight.copy_(torch.rand(bn.weight.shape, generator=g) + 0.5)
            bn.bias.copy_(torch.randn(bn.bias.shape, generator=g) * 0.2)
            bn.momentum = None
        m.train()
        m((torch.rand(16, 3, 32, 32, generator=g) - 0.45) / 0.225)  # statistics of normalised images
        m.fc.weight.copy_(torch.randn(m.fc.weight.shape, generator=g) * 1.5 / math.sqrt(widths[-1]))
    return m.eval()


def _vit_dims(seed: int):
    """Seeds torch; (generator, width, patch count) of the tiny ViT."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed), VIT["width"], (VIT["image"] // VIT["patch"]) ** 2


# --- a timm-layout ViT (timm.models.vision_transformer.VisionTransformer's public structure)
class TimmAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.num_heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, dim * 3), nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class TimmBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.norm1, self.attn, self.norm2 = nn.LayerNorm(dim, eps=1e-6), TimmAttention(dim, heads), nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential()
        self.mlp.fc1, self.mlp.act, self.mlp.fc2 = nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TimmPatchEmbed(nn.Module):
    def __init__(self, patch: int, dim: int) -> None:
        super().__init__()
        self.patch_size = (patch, patch)
        self.proj = nn.Conv2d(3, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimmStyleViT(nn.Module):
    def __init__(self, seed: int = 3) -> None:
        super().__init__()
        g, d, n = _vit_dims(seed)
        self.embed_dim = self.num_features = d
        self.num_prefix_tokens, self.global_pool = 1, "token"
        self.patch_embed = TimmPatchEmbed(VIT["patch"], d)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d, generator=g) * 0.5)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, d, generator=g) * 0.2)
        self.blocks = nn.Sequential(*[TimmBlock(d, VIT["heads"], VIT["mlp"]) for _ in range(VIT["depth"])])
        self.norm, self.fc_norm, self.head = nn.LayerNorm(d, eps=1e-6), nn.Identity(), nn.Linear(d, VIT["classes"])
        _liven(self, g)
        self.eval()

    def forward_features(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        return self.norm(self.blocks(x))

    def forward_head(self, x):
        return self.head(self.fc_norm(x[:, 0]))

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


# --- a transformers-layout ViTForImageClassification
class HFSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.h = heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        split = lambda t: t.view(B, N, self.h, C // self.h).permute(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        a = (q @ k.transpose(-1, -2) / math.sqrt(C // self.h)).softmax(-1)
        return (a @ v).permute(0, 2, 1, 3).reshape(B, N, C)


class HFLayer(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.layernorm_before, self.layernorm_after = nn.LayerNorm(dim, eps=1e-12), nn.LayerNorm(dim, eps=1e-12)
        self.attention = nn.Module()
        self.attention.attention, self.attention.output = HFSelfAttention(dim, heads), nn.Module()
        self.attention.output.dense = nn.Linear(dim, dim)
        self.intermediate, self.output = nn.Module(), nn.Module()
        self.intermediate.dense, self.output.dense = nn.Linear(dim, mlp), nn.Linear(mlp, dim)

    def forward(self, hidden_states, head_mask=None, output_attentions=False):
        h = hidden_states + self.attention.output.dense(self.attention.attention(self.layernorm_before(hidden_states)))
        return (h + self.output.dense(nn.functional.gelu(self.intermediate.dense(self.layernorm_after(h)))),)


class HFStyleViTForImageClassification(nn.Module):
    def __init__(self, seed: int = 4) -> None:
        super().__init__()
        g, d, n = _vit_dims(seed)
        self.config = SimpleNamespace(hidden_size=d, patch_size=VIT["patch"], image_size=VIT["image"], num_labels=VIT["classes"])
        self.vit = nn.Module()
        self.vit.config = self.config
        self.vit.embeddings = nn.Module()
        self.vit.embeddings.cls_token = nn.Parameter(torch.randn(1, 1, d, generator=g) * 0.5)
        self.vit.embeddings.position_embeddings = nn.Parameter(torch.randn(1, n + 1, d, generator=g) * 0.2)
        self.vit.embeddings.patch_embeddings = nn.Module()
        self.vit.embeddings.patch_embeddings.projection = nn.Conv2d(3, d, VIT["patch"], VIT["patch"])
        self.vit.encoder = nn.Module()
        self.vit.encoder.layer = nn.ModuleList([HFLayer(d, VIT["heads"], VIT["mlp"]) for _ in range(VIT["depth"])])
        self.vit.layernorm = nn.LayerNorm(d, eps=1e-12)
        self.classifier = nn.Linear(d, VIT["classes"])
        _liven(self, g)
        self.eval()

    def forward(self, pixel_values):
        e = self.vit.embeddings
        x = e.patch_embeddings.projection(pixel_values).flatten(2).transpose(1, 2)
        h = torch.cat([e.cls_token.expand(x.shape[0], -1, -1), x], 1) + e.position_embeddings
        for layer in self.vit.encoder.layer:
            h = layer(h, None, False)[0]
        h = self.vit.layernorm(h)
        return SimpleNamespace(logits=self.classifier(h[:, 0, :]))


class _Logits(nn.Module):
    def __init__(self, m: nn.Module) -> None:
        super().__init__()
        self.m = m

    def forward(self, x):
        out = self.m(x)
        return out if isinstance(out, torch.Tensor) else out.logits


def export_onnx(model: nn.Module, path: str, size: int) -> None:
    """opset 17, input 'input' [N,3,L,L] with a dynamic batch, output 'logits'. Parameters require grad during the
    export so nn.MultiheadAttention does not take its fused fast path (which the exporter cannot write)."""
    for p in model.parameters():
        p.requires_grad_(True)
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_Logits(model), (torch.rand(2, 3, size, size),), path, input_names=["input"], output_names=["logits"],
                          opset_version=17, do_constant_folding=True, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    for p in model.parameters():
        p.requires_grad_(False)


BUILDERS = {"tv-vit": (tv_vit, 16), "tv-resnet": (tv_resnet, 32), "timm-vit": (TimmStyleViT, 16), "hf-vit": (HFStyleViTForImageClassification, 16)}
